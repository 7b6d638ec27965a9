using Ferry.Contracts;
using Ferry.Server.IntegrationRuntimes;

namespace Ferry.Server.Api;

/// <summary>ADF's integration runtime REST surface under /factories/{factory}/integrationRuntimes.</summary>
public static class ManagementEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var runtimes = app.MapGroup("/factories/{factory}/integrationRuntimes");
        var json = FerryJsonContext.Default;

        runtimes.MapGet("", async (string factory, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.ListAsync(factory, ct), json.ResourceListIntegrationRuntimeResource));

        runtimes.MapPut("{name}", async (string factory, string name, HttpRequest request, RequestBody body, IntegrationRuntimeService s, CancellationToken ct) =>
        {
            var (resource, created) = await s.CreateOrUpdateAsync(factory, name, await body.ReadObjectAsync(request, ct), ct);
            return Results.Json(resource, json.IntegrationRuntimeResource, statusCode: created ? 201 : 200);
        });

        runtimes.MapGet("{name}", async (string factory, string name, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.GetAsync(factory, name, ct), json.IntegrationRuntimeResource));

        runtimes.MapPatch("{name}", async (string factory, string name, HttpRequest request, RequestBody body, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.UpdateAsync(factory, name, await body.ReadObjectAsync(request, ct), ct), json.IntegrationRuntimeResource));

        // ADF answers 200 when it deleted something and 204 when there was nothing to delete.
        runtimes.MapDelete("{name}", async (string factory, string name, IntegrationRuntimeService s, CancellationToken ct) =>
            await s.DeleteAsync(factory, name, ct) ? Results.Ok() : Results.NoContent());

        runtimes.MapPost("{name}/listAuthKeys", async (string factory, string name, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.ListAuthKeysAsync(factory, name, ct), json.IntegrationRuntimeAuthKeys));

        runtimes.MapPost("{name}/regenerateAuthKey", async (string factory, string name, HttpRequest request, RequestBody body, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.RegenerateAuthKeyAsync(factory, name, await body.ReadObjectAsync(request, ct), ct), json.IntegrationRuntimeAuthKeys));

        runtimes.MapPost("{name}/getStatus", async (string factory, string name, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.GetStatusAsync(factory, name, ct), json.IntegrationRuntimeStatusResponse));

        runtimes.MapPost("{name}/monitoringData", async (string factory, string name, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.GetMonitoringDataAsync(factory, name, ct), json.IntegrationRuntimeMonitoringData));

        runtimes.MapPost("{name}/syncCredentials", async (string factory, string name, IntegrationRuntimeService s, CancellationToken ct) =>
        {
            await s.SyncCredentialsAsync(factory, name, ct);
            return Results.Ok();
        });

        runtimes.MapPost("{name}/getConnectionInfo", async (string factory, string name, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.GetConnectionInfoAsync(factory, name, ct), json.IntegrationRuntimeConnectionInfo));

        runtimes.MapGet("{name}/statusEvents", async (string factory, string name, int? limit, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.ListStatusEventsAsync(factory, name, limit ?? 100, ct), json.ResourceListStatusEvent));

        runtimes.MapGet("{name}/nodes/{nodeName}", async (string factory, string name, string nodeName, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.GetNodeAsync(factory, name, nodeName, ct), json.SelfHostedIntegrationRuntimeNode));

        runtimes.MapPatch("{name}/nodes/{nodeName}", async (string factory, string name, string nodeName, HttpRequest request, RequestBody body,
                IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.UpdateNodeAsync(factory, name, nodeName, await body.ReadObjectAsync(request, ct), ct), json.SelfHostedIntegrationRuntimeNode));

        runtimes.MapPut("{name}/nodes/{nodeName}/proxy", async (string factory, string name, string nodeName, HttpRequest request, RequestBody body,
                IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.SetNodeProxyAsync(factory, name, nodeName, await body.ReadObjectAsync(request, ct), ct), json.JsonObject, statusCode: 202));

        runtimes.MapDelete("{name}/nodes/{nodeName}", async (string factory, string name, string nodeName, IntegrationRuntimeService s, CancellationToken ct) =>
            await s.DeleteNodeAsync(factory, name, nodeName, ct) ? Results.Ok() : Results.NoContent());

        runtimes.MapPost("{name}/nodes/{nodeName}/ipAddress", async (string factory, string name, string nodeName, IntegrationRuntimeService s, CancellationToken ct) =>
            Results.Json(await s.GetNodeIpAddressAsync(factory, name, nodeName, ct), json.IntegrationRuntimeNodeIpAddress));
    }
}
