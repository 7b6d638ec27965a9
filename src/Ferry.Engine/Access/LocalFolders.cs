using Ferry.Contracts.Problems;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Access;

/// <summary>
/// Local folder path validation: turns a linked service's root folder and a relative path into the real path on disk,
/// refusing <c>..</c>, absolute paths, and symbolic links that lead outside the root or outside the folders the host
/// allows. Links are followed component by component, so a link anywhere in the path is judged by where it lands.
/// </summary>
public static class LocalFolders
{
    private const int MaxLinkHops = 40;
    private static readonly StringComparison PathComparison = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;

    /// <summary>The real path of <paramref name="relative"/> under <paramref name="root"/>, checked against the policy.</summary>
    public static string Resolve(NodeAccessPolicy policy, string root, string? relative)
    {
        relative ??= "";
        if (!policy.ValidateLocalFolders)
            return Path.GetFullPath(Path.Combine(root, relative));

        if (!Path.IsPathFullyQualified(root))
            throw new DataStoreException(ErrorCodes.PathNotAllowed, $"The folder '{root}' is not an absolute path; give the linked service's host as a full path.");
        if (Path.IsPathRooted(relative))
            throw new DataStoreException(ErrorCodes.PathNotAllowed,
                $"'{relative}' is an absolute path; paths are relative to the linked service's folder '{root}'.");
        if (relative.Split('/', '\\').Any(segment => segment == ".."))
            throw new DataStoreException(ErrorCodes.PathNotAllowed, $"'{relative}' climbs out of the folder with '..'; that is refused while local folder path validation is on.");

        var realRoot = RealPath(root);
        if (!policy.AllowedFolders.Any(allowed => IsUnder(realRoot, RealPath(allowed))))
            throw new DataStoreException(ErrorCodes.PathNotAllowed, policy.AllowedFolders.Count == 0
                ? $"The folder '{root}' is not allowed: this node allows no local folders yet. Allow one with `dmgcmd -AllowLocalFolder \"<folder>\"` on the node."
                : $"The folder '{root}' is outside the folders this node allows ({string.Join(", ", policy.AllowedFolders)}). " +
                  "Allow it with `dmgcmd -AllowLocalFolder \"<folder>\"` on the node.");

        var real = RealPath(Path.Combine(root, relative));
        if (!IsUnder(real, realRoot))
            throw new DataStoreException(ErrorCodes.PathNotAllowed,
                $"'{relative}' leads outside the folder '{root}' through a symbolic link (to '{real}'); that is refused while local folder path validation is on.");
        return real;
    }

    public static bool IsUnder(string path, string folder)
    {
        var trimmed = Path.TrimEndingDirectorySeparator(folder);
        return path.Equals(trimmed, PathComparison)
               || (path.StartsWith(trimmed, PathComparison) && path.Length > trimmed.Length && IsSeparator(path[trimmed.Length]))
               || (trimmed.Length > 0 && IsSeparator(trimmed[^1]) && path.StartsWith(trimmed, PathComparison)); // the root "/" itself
    }

    private static bool IsSeparator(char c) => c == Path.DirectorySeparatorChar || c == Path.AltDirectorySeparatorChar;

    /// <summary>The path with every symbolic link in it followed; parts that do not exist are kept as written.</summary>
    public static string RealPath(string path) => RealPath(path, 0);

    private static string RealPath(string path, int hops)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full) ?? "";
        var current = root;
        foreach (var segment in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, segment);
            var link = new FileInfo(next).LinkTarget;
            if (link is not null)
            {
                if (++hops > MaxLinkHops)
                    throw new DataStoreException(ErrorCodes.PathNotAllowed, $"'{path}' goes through more than {MaxLinkHops} symbolic links (a loop?).");
                next = RealPath(Path.IsPathRooted(link) ? link : Path.Combine(current, link), hops);
            }
            current = next;
        }
        return current;
    }
}
