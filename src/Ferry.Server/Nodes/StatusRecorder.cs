using Ferry.Contracts.Resources;
using Ferry.Server.Hosting;
using Ferry.Server.Store;

namespace Ferry.Server.Nodes;

/// <summary>Records every change of a node's status and of its runtime's state, with the time and the cause.</summary>
public sealed partial class StatusRecorder(IFerryStore store, ServerOptions options, TimeProvider time, ILogger<StatusRecorder> logger)
{
    /// <summary>Records the node's new status if it differs from the last one recorded, then the runtime's state.</summary>
    public async Task NodeChangedAsync(NodeRow node, string status, string cause, CancellationToken ct)
    {
        if (node.RecordedStatus != status)
        {
            await store.SetNodeRecordedStatusAsync(node.Id, status, ct);
            await store.AddStatusEventAsync(node.RuntimeId, new StatusEvent(time.GetUtcNow(), node.Name, status, cause), ct);
            LogNodeStatus(logger, node.Name, status, cause);
        }
        await RuntimeChangedAsync(node.RuntimeId, $"node {node.Name}: {cause}", ct);
        await DispatcherChangedAsync(node.RuntimeId, $"node {node.Name} went {status}", ct);
    }

    /// <summary>Records that a node fell silent for longer than the offline threshold, with how long and what its last rejected call said.</summary>
    public Task NodeSilentAsync(NodeRow node, CancellationToken ct)
    {
        var silentFor = time.GetUtcNow() - (node.LastHeartbeatAt ?? node.RegisteredAt);
        var cause = node.LastHeartbeatAt is null
            ? $"heartbeat lost: no heartbeat since registration {silentFor.TotalSeconds:F0} s ago"
            : $"heartbeat lost: none for {silentFor.TotalSeconds:F0} s ({options.MissedHeartbeats} missed)";
        if (node.LastError is { Length: > 0 } error)
            cause += $"; its last call was rejected: {error}";
        return NodeChangedAsync(node, NodeStatus.Offline, cause, ct);
    }

    /// <summary>Records a node's removal (it now needs registration) and the runtime's new state.</summary>
    public async Task NodeRemovedAsync(NodeRow node, string cause, CancellationToken ct)
    {
        await store.AddStatusEventAsync(node.RuntimeId, new StatusEvent(time.GetUtcNow(), node.Name, NodeStatus.NeedRegistration, cause), ct);
        LogNodeStatus(logger, node.Name, NodeStatus.NeedRegistration, cause);
        await RuntimeChangedAsync(node.RuntimeId, $"node {node.Name}: {cause}", ct);
        await DispatcherChangedAsync(node.RuntimeId, $"node {node.Name} was removed", ct);
    }

    /// <summary>
    /// Records a hand-over of the active dispatcher role (the longest-registered Online node, from the recorded
    /// statuses): when its holder leaves Online another takes it at the same moment, and the history says who and why,
    /// as an event of the runtime (no node name, the runtime's state).
    /// </summary>
    private async Task DispatcherChangedAsync(Guid runtimeId, string why, CancellationToken ct)
    {
        // NodeStatusRules.ActiveDispatcher's rule, asked of the store: two small reads per status change, whatever the
        // fleet's size (reading every node here made a fleet reconnecting at once quadratic).
        var dispatcher = await store.GetDispatcherByRecordedStatusAsync(runtimeId, ct);
        var previous = await store.GetRuntimeDispatcherAsync(runtimeId, ct);
        if (dispatcher == previous || !await store.SetRuntimeDispatcherAsync(runtimeId, previous, dispatcher, ct))
            return;
        // The first dispatcher, and none while no node is Online, are plain from the runtime's own state changes.
        if (dispatcher is null || previous is null)
            return;
        var runtime = await store.GetRuntimeByIdAsync(runtimeId, ct);
        var cause = $"active dispatcher: {dispatcher}, taking over from {previous} ({why})";
        await store.AddStatusEventAsync(runtimeId, new StatusEvent(time.GetUtcNow(), null, runtime?.RecordedState ?? RuntimeState.Offline, cause), ct);
        LogDispatcher(logger, runtime?.Factory ?? "?", runtime?.Name ?? "?", cause);
    }

    public async Task RuntimeChangedAsync(Guid runtimeId, string cause, CancellationToken ct)
    {
        var runtime = await store.GetRuntimeByIdAsync(runtimeId, ct);
        if (runtime is null)
            return;
        // The recorded statuses, not the derived ones: every change of a node is recorded (heartbeats, stops and the
        // monitor's sweep) before this runs, and reading one column keeps a fleet reconnecting at once cheap.
        var now = time.GetUtcNow();
        var state = NodeStatusRules.Aggregate(await store.ListNodeRecordedStatusesAsync(runtimeId, ct));
        if (state == runtime.RecordedState)
            return;
        await store.SetRuntimeRecordedStateAsync(runtimeId, state, ct);
        await store.AddStatusEventAsync(runtimeId, new StatusEvent(now, null, state, cause), ct);
        LogRuntimeState(logger, runtime.Factory, runtime.Name, state, cause);
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Node {NodeName} went {Status}: {Cause}")]
    private static partial void LogNodeStatus(ILogger logger, string nodeName, string status, string cause);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Runtime {Factory}/{Runtime}: {Cause}")]
    private static partial void LogDispatcher(ILogger logger, string factory, string runtime, string cause);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Runtime {Factory}/{Runtime} went {State}: {Cause}")]
    private static partial void LogRuntimeState(ILogger logger, string factory, string runtime, string state, string cause);
}
