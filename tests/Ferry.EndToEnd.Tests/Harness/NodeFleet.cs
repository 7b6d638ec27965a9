namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>Real ferry-node processes for one test: registered with dmgcmd as a user would, stopped when the test ends.</summary>
public sealed class NodeFleet(TempDir dirs) : IDisposable
{
    private readonly List<RunningProcess> _processes = [];
    private readonly Dictionary<string, RunningProcess> _byName = [];

    public string Output => string.Join('\n', _processes.Select(p => p.Output));

    /// <summary>
    /// Creates the runtime when asked, registers a node with its first key (pointed at <paramref name="serverUrl"/> when
    /// given), starts it and waits until the node shows <paramref name="expectedState"/> (unless that is null).
    /// </summary>
    public async Task<string> StartAsync(FerryServer server, string runtime, string nodeName, bool createRuntime = true, string? expectedState = "Online",
        Func<string, Task>? beforeStart = null, string? serverUrl = null, IDictionary<string, string>? env = null, IReadOnlyList<string>? launcher = null)
    {
        if (createRuntime)
            await server.FerryJsonAsync("ir", "create", "--name", runtime);
        var key = (await server.FerryJsonAsync("ir", "list-auth-key", "--name", runtime))["authKey1"]!.GetValue<string>();
        // Another way to the same server (a forwarder the test can cut): the key names where the node calls.
        if (serverUrl is not null)
            key = (Ferry.Contracts.Keys.AuthKey.Parse(key) with { ServerUrl = serverUrl }).Format();
        var nodeDir = dirs.Sub(nodeName);
        var registered = await Commands.DmgcmdAsync(nodeDir, "-rn", key, nodeName);
        Assert.True(registered.ExitCode == 0, registered.ToString());
        if (beforeStart is not null)
            await beforeStart(nodeDir);
        var process = RunningProcess.Start(Binaries.NodeDll, ["--data-dir", nodeDir], env, launcher);
        _processes.Add(process);
        _byName[nodeName] = process;
        if (expectedState is null)
            return nodeDir; // the test waits for what it expects itself
        await Commands.EventuallyAsync(async () =>
        {
            var s = await server.StatusAsync(runtime);
            return (s.Nodes.GetValueOrDefault(nodeName) == expectedState, FerryServer.Describe(s));
        }, TimeSpan.FromSeconds(30), $"node {nodeName} {expectedState}");
        return nodeDir;
    }

    public string OutputOf(string nodeName) => _byName[nodeName].Output;

    public void Stop(string nodeName) => _byName[nodeName].Dispose();

    /// <summary>kill -9: no goodbye, no cleanup, leases left to lapse.</summary>
    public void Kill(string nodeName) => _byName[nodeName].KillHard();

    /// <summary>Starts a node's process again on its data dir, as a service manager restarts a crashed service.</summary>
    public void Restart(string nodeName)
    {
        var process = RunningProcess.Start(Binaries.NodeDll, ["--data-dir", dirs.Sub(nodeName)]);
        _processes.Add(process);
        _byName[nodeName] = process;
    }

    public void Dispose()
    {
        foreach (var process in _processes)
            process.Dispose();
    }
}
