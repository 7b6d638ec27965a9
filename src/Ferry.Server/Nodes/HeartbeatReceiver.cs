using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Hosting;
using Ferry.Server.Store;

namespace Ferry.Server.Nodes;

/// <summary>Takes an authenticated node's heartbeat: stores its figures and records the status change it brings, if any.</summary>
public sealed class HeartbeatReceiver(IFerryStore store, StatusRecorder recorder, ServerOptions options, TimeProvider time)
{
    public async Task<HeartbeatResponse> ReceiveAsync(NodeRow node, HeartbeatRequest heartbeat, string? ipAddress, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // A node that was silent past the threshold but came back before the monitor's sweep noticed still went
        // Offline in between: record that first, so the history never skips an outage.
        if (!node.Stopped && node.RecordedStatus != NodeStatus.Offline
            && NodeStatusRules.Derive(node, now, options.OfflineAfter) == NodeStatus.Offline)
        {
            await recorder.NodeSilentAsync(node, ct);
            node = node with { RecordedStatus = NodeStatus.Offline };
        }

        var wasUp = node.RecordedStatus == NodeStatus.Online && !node.Stopped;
        await store.RecordHeartbeatAsync(new HeartbeatUpdate(node.Id, now, heartbeat.Version, heartbeat.StartedAt, Reconnected: !wasUp,
            heartbeat.CpuUtilization, heartbeat.AvailableMemoryMB, heartbeat.ConcurrentJobsRunning, heartbeat.SentBytes,
            heartbeat.ReceivedBytes, ipAddress, heartbeat.LastError, heartbeat.CredentialKeyVersion), ct);
        if (!wasUp)
        {
            var cause = node.Stopped ? "node started"
                : node.RecordedStatus == NodeStatus.Initializing ? "first heartbeat"
                : "heartbeat resumed";
            if (heartbeat.LastError is { Length: > 0 } error)
                cause += $"; while away the node saw: {error}";
            await recorder.NodeChangedAsync(node, NodeStatus.Online, cause, ct);
        }
        return new HeartbeatResponse(options.HeartbeatIntervalSeconds, node.ConcurrentJobsLimit, now);
    }
}
