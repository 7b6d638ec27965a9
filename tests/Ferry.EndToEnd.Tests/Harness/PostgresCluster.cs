using System.Diagnostics;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>
/// A PostgreSQL cluster of one test's own (initdb in a temporary folder, a free loopback port), from the binaries
/// ./scripts/test installed, so that the test can stop and start it without touching the shared test server.
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private readonly string _bin;
    private readonly string _dir;

    private PostgresCluster(string bin, string dir, int port)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=true";

    public static async Task<PostgresCluster> StartAsync()
    {
        // A folder of its own under /tmp (not inside the test's TempDir, which only root may enter): the server runs as postgres.
        var dir = Directory.CreateTempSubdirectory("ferry-pg-").FullName;
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb")))
            .OrderByDescending(b => b, StringComparer.Ordinal).FirstOrDefault()
            ?? throw new InvalidOperationException("No PostgreSQL binaries under /usr/lib/postgresql; run the tests with ./scripts/test, which installs them.");
        var cluster = new PostgresCluster(bin, dir, FerryServer.FreePort());
        if (Environment.UserName == "root")
            await RunAsync("chown", "postgres", dir);
        await cluster.PgAsync("initdb", "-D", Path.Combine(dir, "data"), "-U", "postgres", "-A", "trust");
        await cluster.StartAgainAsync();
        return cluster;
    }

    public Task StartAgainAsync() => PgAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w",
        "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1", "start");

    /// <summary>A fast shutdown: sessions are ended, connections drop, as when the database server restarts.</summary>
    public Task StopAsync() => PgAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "fast", "-w", "stop");

    private Task PgAsync(string tool, params string[] args) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args]) : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {await output}{await error}");
    }

    public void Dispose()
    {
        try
        {
            StopAsync().GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
