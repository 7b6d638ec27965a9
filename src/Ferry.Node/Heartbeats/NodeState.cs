using System.Text.Json;
using Ferry.Node.Hosting;
using Ferry.Node.Identity;

namespace Ferry.Node.Heartbeats;

/// <summary>
/// The node's view of itself, shared by the heartbeat loop and the admin endpoint, and mirrored to status.json so
/// dmgcmd -Status can tell the last known state even when the service is not running.
/// </summary>
public sealed class NodeState(NodeDataDirectory dir, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();
    private NodeStatusReport _report = new(ConnectionState.Connecting, null, null, null, null, null, null, null,
        Environment.ProcessId, NodeVersion.Current, null);

    /// <summary>The failure the server has not heard of yet; sent with the next successful heartbeat.</summary>
    public string? UnreportedError { get; private set; }

    public DateTimeOffset StartedAt => _startedAt;

    public NodeStatusReport Current
    {
        get { lock (_gate) return _report; }
    }

    public void Bound(NodeIdentity? identity) => Update(r => r with
    {
        Factory = identity?.Factory, Runtime = identity?.Runtime, NodeName = identity?.NodeName, ServerUrl = identity?.ServerUrl,
        State = identity is null ? ConnectionState.NeedRegistration : r.State == ConnectionState.NeedRegistration ? ConnectionState.Connecting : r.State,
        StartedAt = _startedAt,
    });

    public void Connected(DateTimeOffset at)
    {
        UnreportedError = null;
        Update(r => r with { State = ConnectionState.Connected, LastHeartbeat = at });
    }

    public void Failed(string error)
    {
        UnreportedError = error;
        Update(r => r with { State = ConnectionState.Disconnected, LastError = error, LastErrorAt = time.GetUtcNow() });
    }

    public void NeedsRegistration(string why)
    {
        UnreportedError = null;
        Update(r => r with { State = ConnectionState.NeedRegistration, LastError = why, LastErrorAt = time.GetUtcNow() });
    }

    public void Stopped() => Update(r => r with { State = ConnectionState.Stopped, ProcessId = null });

    private void Update(Func<NodeStatusReport, NodeStatusReport> change)
    {
        lock (_gate)
        {
            _report = change(_report);
            try
            {
                var temp = dir.StatusFile + ".tmp";
                File.WriteAllBytes(temp, JsonSerializer.SerializeToUtf8Bytes(_report, NodeJsonContext.Default.NodeStatusReport));
                File.Move(temp, dir.StatusFile, overwrite: true);
            }
            catch (IOException)
            {
                // The status file is a convenience for dmgcmd; a full disk must not stop the heartbeat.
            }
        }
    }
}
