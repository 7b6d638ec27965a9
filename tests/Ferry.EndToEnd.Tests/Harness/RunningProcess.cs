using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>A real child process whose output is kept for the failure message.</summary>
public sealed class RunningProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private bool _disposed;

    private RunningProcess(Process process) => _process = process;

    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts dotnet <paramref name="dll"/>, through <paramref name="launcher"/> when given (e.g. "ip netns exec NAME", which becomes the program itself).</summary>
    public static RunningProcess Start(string dll, IEnumerable<string> args, IDictionary<string, string>? env = null, IReadOnlyList<string>? launcher = null)
    {
        var info = new ProcessStartInfo(launcher?[0] ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (launcher is not null)
        {
            foreach (var a in launcher.Skip(1)) info.ArgumentList.Add(a);
            info.ArgumentList.Add("dotnet");
        }
        info.ArgumentList.Add(dll);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var process = new Process { StartInfo = info };
        var running = new RunningProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) running._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) running._output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    /// <summary>kill -9: no goodbye, no clean-up, as a crash or a power cut.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        KillHard();
        _process.Dispose();
    }
}
