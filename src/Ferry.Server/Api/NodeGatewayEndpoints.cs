using Ferry.Contracts;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
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

        app.MapPost(NodeProtocol.HeartbeatPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth, HeartbeatReceiver receiver,
            HeartbeatGate gate, Metrics.ServerMetrics metrics, CancellationToken ct) =>
        {
            metrics.Heartbeat();
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            using var slot = await gate.EnterAsync(ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            var heartbeat = RequestBody.Deserialize(bytes, json.HeartbeatRequest);
            var response = await receiver.ReceiveAsync(node, heartbeat, context.Connection.RemoteIpAddress?.ToString(), ct);
            return Results.Json(response, json.HeartbeatResponse);
        });

        app.MapPost(NodeProtocol.SealedCredentialPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth,
            Credentials.CredentialSyncService sync, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            await sync.AcceptAsync(node, RequestBody.Deserialize(bytes, json.SealedCredentialRequest), ct);
            return Results.NoContent();
        });

        app.MapPost(NodeProtocol.CredentialRotationPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth,
            Credentials.CredentialRotationService rotation, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            await rotation.AcceptAsync(node, RequestBody.Deserialize(bytes, json.CredentialRotationRequest), ct);
            return Results.NoContent();
        });

        app.MapPost(NodeProtocol.SelfCheckPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth,
            IntegrationRuntimes.IntegrationRuntimeService runtimes, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            var request = RequestBody.Deserialize(bytes, json.NodeSelfCheckRequest);
            return Results.Json(await runtimes.SelfCheckAsync(node, request.Version, ct), json.NodeSelfCheck);
        });

        app.MapPost(NodeProtocol.SupportLogsPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth, IFerryStore store, TimeProvider time,
            CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            var request = RequestBody.Deserialize(bytes, json.SupportLogsRequest);
            var runtime = await store.GetRuntimeByIdAsync(node.RuntimeId, ct);
            var now = time.GetUtcNow();
            var id = $"{now:yyyyMMdd-HHmmss}-{Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)).ToLowerInvariant()}";
            var content = Ferry.Contracts.Logs.LogRedactor.Redact(request.Logs);
            await store.InsertSupportLogAsync(new SupportLogRow(id, runtime?.Factory ?? "default", runtime?.Name ?? "?", node.Name, now, content), ct);
            return Results.Json(new SupportLogsResponse(id, System.Text.Encoding.UTF8.GetByteCount(content)), json.SupportLogsResponse);
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
