using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Interactive;
using Ferry.Server.Nodes;

namespace Ferry.Server.Api;

/// <summary>
/// Interactive authoring: the user's side (testConnection and browse on a linked service; testConnection, getSchema
/// and preview on a dataset) and the node's side (the relay WebSocket, and the poll channel used by self-contained
/// interactive authoring).
/// </summary>
public static class InteractiveEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var json = FerryJsonContext.Default;
        (string Kind, string[] Operations)[] surface =
        [
            (FactoryResourceService.LinkedServices, [InteractiveOperation.TestConnection, InteractiveOperation.Browse]),
            (FactoryResourceService.Datasets, [InteractiveOperation.TestConnection, InteractiveOperation.GetSchema, InteractiveOperation.Preview]),
        ];
        foreach (var (kind, operations) in surface)
        {
            foreach (var operation in operations)
            {
                app.MapPost($"/factories/{{factory}}/{kind}/{{name}}/{operation}", async (string factory, string name, HttpRequest request,
                    RequestBody body, InteractiveService service, CancellationToken ct) =>
                {
                    var parameters = request.ContentLength is > 0 ? await body.ReadObjectAsync(request, ct) : null;
                    return Results.Json(await service.RunAsync(factory, kind, name, operation, parameters, ct), json.JsonObject);
                });
            }
        }

        app.Map(NodeProtocol.RelayPath, async (HttpContext context, NodeAuthenticator auth, InteractiveDispatcher dispatcher, CancellationToken ct) =>
        {
            var node = await auth.AuthenticateAsync(context.Request, [], ct);
            if (!context.WebSockets.IsWebSocketRequest)
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "The relay is a WebSocket; open it with a WebSocket upgrade.");
            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            await dispatcher.RunRelayAsync(node.Id, node.Name, socket, ct);
        });

        app.MapPost(NodeProtocol.InteractivePollPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth,
            InteractiveDispatcher dispatcher, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            var request = await dispatcher.TakeAsync(node.RuntimeId, node.Id, InteractivePollWait, ct);
            return request is null ? Results.NoContent() : Results.Json(request, json.InteractiveRequest);
        });

        app.MapPost(NodeProtocol.InteractiveResultPath, async (HttpContext context, InteractiveDispatcher dispatcher, NodeAuthenticator auth,
            CancellationToken ct) =>
        {
            // Answers may be far larger than resource documents: read up to the dispatcher's limit, not the API's body limit.
            var bytes = await ReadLargeBodyAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            InteractiveResponse response;
            try
            {
                response = JsonSerializer.Deserialize(bytes, json.InteractiveResponse)
                           ?? throw FerryException.BadRequest(ErrorCodes.InvalidJson, "The answer is empty.");
            }
            catch (JsonException e)
            {
                throw FerryException.BadRequest(ErrorCodes.InvalidJson, $"The answer is not an interactive response: {e.Message}");
            }
            // An answer nobody waits for any more (the caller timed out) is dropped without fuss.
            dispatcher.Complete(node.Id, response);
            return Results.NoContent();
        });
    }

    /// <summary>How long a node's poll for interactive requests waits before answering "nothing" (within the node's 30 s HTTP timeout).</summary>
    public static readonly TimeSpan InteractivePollWait = TimeSpan.FromSeconds(20);

    private static async Task<byte[]> ReadLargeBodyAsync(HttpRequest request, CancellationToken ct)
    {
        var feature = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
            feature.MaxRequestBodySize = InteractiveDispatcher.MaxMessageBytes;
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }
}
