namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>Where the built programs are: each project's own output folder, in the configuration these tests were built in.</summary>
public static class Binaries
{
    public static readonly string RepoRoot = FindRoot();
    private static readonly string Configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string ServerDll => Output("Ferry.Server", "ferry-server.dll");
    public static string NodeDll => Output("Ferry.NodeCli", "ferry-node.dll");
    public static string DmgcmdDll => Output("Ferry.NodeCli", "dmgcmd.dll");
    public static string FerryDll => Output("Ferry.Cli", "ferry.dll");

    private static string Output(string project, string file)
    {
        var path = Path.Combine(RepoRoot, "src", project, "bin", Configuration, "net10.0", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing; build the solution first (./scripts/test does).");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Ferry.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find Ferry.slnx above " + AppContext.BaseDirectory);
    }
}
