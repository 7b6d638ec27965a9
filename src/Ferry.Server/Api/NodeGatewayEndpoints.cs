using Ferry.Contracts;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Hosting;
using Ferry.Server.Nodes;
using Ferry.Server.Store;

namespace Ferry.Server.Api;

/// <summary>The endpoints nodes call: register with a key, then signed heartbeats and a goodbye when they stop.</summary>
public static class NodeGatewayEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var json = FerryJsonContext.Default;

        app.MapPost(NodeProtocol.RegisterPath, async (HttpContext context, RequestBody body, NodeRegistrationService registration, CancellationToken ct) =>
        {
            var request = RequestBody.Deserialize(await body.ReadBytesAsync(context.Request, ct), json.RegisterNodeRequest);
            var response = await registration.RegisterAsync(request, context.Connection.RemoteIpAddress?.ToString(), ct);
            return Results.Json(response, json.RegisterNodeResponse);
        });

        app.MapPost(NodeProtocol.HeartbeatPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth, IFerryStore store,
            StatusRecorder recorder, ServerOptions options, TimeProvider time, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            var heartbeat = RequestBody.Deserialize(bytes, json.HeartbeatRequest);
            var now = time.GetUtcNow();
            var wasUp = node.RecordedStatus == NodeStatus.Online && !node.Stopped;
            await store.RecordHeartbeatAsync(new HeartbeatUpdate(node.Id, now, heartbeat.Version, heartbeat.StartedAt, Reconnected: !wasUp,
                heartbeat.CpuUtilization, heartbeat.AvailableMemoryMB, heartbeat.ConcurrentJobsRunning, heartbeat.SentBytes,
                heartbeat.ReceivedBytes, context.Connection.RemoteIpAddress?.ToString(), heartbeat.LastError), ct);
            if (!wasUp)
            {
                var cause = node.Stopped ? "node started"
                    : node.RecordedStatus == NodeStatus.Initializing ? "first heartbeat"
                    : "heartbeat resumed";
                if (heartbeat.LastError is { Length: > 0 } error)
                    cause += $"; while away the node saw: {error}";
                await recorder.NodeChangedAsync(node, NodeStatus.Online, cause, ct);
            }
            return Results.Json(new HeartbeatResponse(options.HeartbeatIntervalSeconds, node.ConcurrentJobsLimit, now), json.HeartbeatResponse);
        });

        app.MapPost(NodeProtocol.StoppingPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth, IFerryStore store,
            StatusRecorder recorder, TimeProvider time, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            var request = RequestBody.Deserialize(bytes, json.StoppingRequest);
            await store.MarkStoppedAsync(node.Id, time.GetUtcNow(), ct);
            await recorder.NodeChangedAsync(node, NodeStatus.Offline, $"stopped gracefully ({request.Reason})", ct);
            return Results.NoContent();
        });
    }
}
