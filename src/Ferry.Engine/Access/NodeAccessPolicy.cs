namespace Ferry.Engine.Access;

/// <summary>
/// What a host lets linked services reach on the machine itself (the reference's dmgcmd switches). Local folder path
/// validation is on by default: files only under <see cref="AllowedFolders"/>. Local machine access (localhost and the
/// host's own addresses) for database and HTTP connections is off by default.
/// </summary>
public sealed record NodeAccessPolicy(bool ValidateLocalFolders, IReadOnlyList<string> AllowedFolders, bool LocalMachineAccess)
{
    public static readonly NodeAccessPolicy Default = new(ValidateLocalFolders: true, AllowedFolders: [], LocalMachineAccess: false);
}
