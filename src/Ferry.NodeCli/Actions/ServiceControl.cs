using System.Diagnostics;
using Ferry.Node.Admin;
using Ferry.Node.Hosting;

namespace Ferry.NodeCli.Actions;

/// <summary>
/// Starts and stops the node service: through systemd when the node is installed as the ferry-node unit on the
/// default data dir, otherwise the process itself (started detached, stopped through the admin endpoint).
/// </summary>
public sealed class ServiceControl(NodeDataDirectory dir, AdminClient admin, TextWriter output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private const string UnitFile = "/etc/systemd/system/ferry-node.service";

    private bool UsesSystemd => OperatingSystem.IsLinux() && File.Exists(UnitFile) && File.Exists("/usr/bin/systemctl")
                                && dir.Path == Path.GetFullPath(NodeDataDirectory.DefaultPath());

    public async Task<int> StartAsync(CancellationToken ct)
    {
        if (UsesSystemd)
            return await SystemctlAsync("start", ct);
        if (await admin.StatusAsync(ct) is { ProcessId: var pid })
        {
            output.WriteLine($"ferry-node is already running (pid {pid}) on {dir.Path}.");
            return 0;
        }
        dir.Create();
        var start = NodeStartInfo();
        using (var launcher = Process.Start(start) ?? throw new InvalidOperationException("Could not start ferry-node."))
            await launcher.WaitForExitAsync(ct);

        if (await WithinDeadlineAsync(() => admin.StatusAsync(ct), ct) is { } status)
        {
            output.WriteLine($"Started ferry-node (pid {status.ProcessId}) on {dir.Path}; log: {dir.LogFile}");
            return 0;
        }
        output.WriteLine($"ferry-node did not come up within {Deadline.TotalSeconds:F0} s. Its log says why: {dir.LogFile}");
        return 1;
    }

    public async Task<int> StopAsync(CancellationToken ct)
    {
        if (UsesSystemd)
            return await SystemctlAsync("stop", ct);
        if (!await admin.StopAsync(ct))
        {
            output.WriteLine($"ferry-node is not running on {dir.Path}.");
            return 0;
        }
        var stopped = await WithinDeadlineAsync(async () =>
            await admin.StatusAsync(ct) is null && !File.Exists(dir.PidFile) ? "stopped" : null, ct);
        output.WriteLine(stopped is not null ? "Stopped ferry-node." : $"ferry-node did not stop within {Deadline.TotalSeconds:F0} s; see {dir.LogFile}.");
        return stopped is not null ? 0 : 1;
    }

    /// <summary>Polls <paramref name="probe"/> until it answers something or the deadline passes.</summary>
    private static async Task<T?> WithinDeadlineAsync<T>(Func<Task<T?>> probe, CancellationToken ct) where T : class
    {
        var until = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < until)
        {
            if (await probe() is { } answer)
                return answer;
            await Task.Delay(TimeSpan.FromMilliseconds(200), ct);
        }
        return null;
    }

    public async Task<int> RestartAsync(CancellationToken ct)
    {
        if (UsesSystemd)
            return await SystemctlAsync("restart", ct);
        var stopped = await StopAsync(ct);
        return stopped != 0 ? stopped : await StartAsync(ct);
    }

    /// <summary>
    /// The node runs in its own session with its output in the data dir's log, so it outlives this command and does not
    /// hold this command's output open.
    /// </summary>
    private ProcessStartInfo NodeStartInfo()
    {
        var baseDir = AppContext.BaseDirectory;
        var apphost = Path.Combine(baseDir, OperatingSystem.IsWindows() ? "ferry-node.exe" : "ferry-node");
        var (program, prefix) = File.Exists(apphost)
            ? (apphost, Array.Empty<string>())
            : ("dotnet", new[] { Path.Combine(baseDir, "ferry-node.dll") });
        if (OperatingSystem.IsWindows())
        {
            var info = new ProcessStartInfo(program) { UseShellExecute = false, CreateNoWindow = true };
            foreach (var a in prefix.Concat(["--data-dir", dir.Path])) info.ArgumentList.Add(a);
            return info;
        }
        var sh = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        sh.ArgumentList.Add("-c");
        sh.ArgumentList.Add("log=\"$1\"; shift; (command -v setsid >/dev/null && exec setsid \"$@\" || exec \"$@\") >>\"$log\" 2>&1 </dev/null &");
        sh.ArgumentList.Add("ferry-node-launcher");
        sh.ArgumentList.Add(dir.LogFile);
        sh.ArgumentList.Add(program);
        foreach (var a in prefix.Concat(["--data-dir", dir.Path])) sh.ArgumentList.Add(a);
        return sh;
    }

    private async Task<int> SystemctlAsync(string verb, CancellationToken ct)
    {
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/systemctl", [verb, "ferry-node"]) { UseShellExecute = false })!;
        await p.WaitForExitAsync(ct);
        output.WriteLine(p.ExitCode == 0 ? $"systemctl {verb} ferry-node: done." : $"systemctl {verb} ferry-node failed (exit {p.ExitCode}); see `journalctl -u ferry-node`.");
        return p.ExitCode;
    }
}
