using System.Diagnostics;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>The result of running one command to its end.</summary>
public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>Runs dmgcmd and ferry as a user would, and waits on conditions with deadlines instead of sleeping.</summary>
public static class Commands
{
    public static Task<CommandResult> DmgcmdAsync(string dataDir, params string[] args) =>
        RunAsync(Binaries.DmgcmdDll, [.. args, "--data-dir", dataDir], null);

    public static async Task<CommandResult> RunAsync(string dll, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a system command the test needs root for (mount, umount), failing the test with its error.</summary>
    public static async Task RunAsRootAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {await error} (these tests run as root, as ./scripts/test does)");
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails with <paramref name="what"/> and the last observation at the deadline.</summary>
    public static async Task<TimeSpan> EventuallyAsync(Func<Task<(bool Ok, string Observed)>> condition, TimeSpan deadline, string what)
    {
        var watch = Stopwatch.StartNew();
        var observed = "";
        while (watch.Elapsed < deadline)
        {
            bool ok;
            (ok, observed) = await condition();
            if (ok)
                return watch.Elapsed;
            await Task.Delay(TimeSpan.FromMilliseconds(250)); // the poll interval, not a wait for an outcome
        }
        throw new Xunit.Sdk.XunitException($"Not within {deadline.TotalSeconds:F0} s: {what}. Last seen: {observed}");
    }
}
