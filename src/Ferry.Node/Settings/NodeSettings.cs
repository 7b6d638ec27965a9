namespace Ferry.Node.Settings;

/// <summary>
/// The node's security switches (dmgcmd -EnableLocalMachineAccess, -DisableLocalFolderPathValidation, -AllowLocalFolder
/// and their opposites), kept in settings.json in the data dir. The defaults are the safe ones: folder validation on,
/// no folder allowed, local machine access off.
/// </summary>
public sealed record NodeSettings(bool LocalFolderPathValidation = true, IReadOnlyList<string>? AllowedLocalFolders = null, bool LocalMachineAccess = false)
{
    public IReadOnlyList<string> Folders => AllowedLocalFolders ?? [];
}
