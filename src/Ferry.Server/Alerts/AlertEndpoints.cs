using Ferry.Contracts;
using Ferry.Server.Api;

namespace Ferry.Server.Alerts;

/// <summary>/factories/{factory}/alertRules: list, PUT, GET (with its last deliveries), DELETE; and /factories/{factory}/supportLogs/{id}.</summary>
public static class AlertEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var json = FerryJsonContext.Default;
        var group = app.MapGroup("/factories/{factory}/alertRules");
        group.MapGet("", async (string factory, AlertRuleService rules, CancellationToken ct) =>
            Results.Json(await rules.ListAsync(factory, ct), json.ResourceListFactoryResource));
        group.MapPut("{name}", async (string factory, string name, HttpRequest request, RequestBody body, AlertRuleService rules, CancellationToken ct) =>
        {
            var (resource, created) = await rules.CreateOrUpdateAsync(factory, name, await body.ReadObjectAsync(request, ct), ct);
            return Results.Json(resource, json.FactoryResource, statusCode: created ? 201 : 200);
        });
        group.MapGet("{name}", async (string factory, string name, AlertRuleService rules, CancellationToken ct) =>
            Results.Json(await rules.GetAsync(factory, name, ct), json.FactoryResource));
        group.MapDelete("{name}", async (string factory, string name, AlertRuleService rules, CancellationToken ct) =>
            await rules.DeleteAsync(factory, name, ct) ? Results.Ok() : Results.NoContent());

        // Logs nodes sent for support (dmgcmd -SendLogs), by the id the node printed.
        app.MapGet("/factories/{factory}/supportLogs/{id}", async (string factory, string id, Store.IFerryStore store, CancellationToken ct) =>
        {
            var log = await store.GetSupportLogAsync(factory, id, ct)
                      ?? throw Errors.FerryException.NotFound(Ferry.Contracts.Problems.ErrorCodes.NotFound,
                          $"There are no support logs '{id}' in factory '{factory}'; the id is what dmgcmd -SendLogs printed.");
            return Results.Json(new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = log.Id, ["factory"] = log.Factory, ["runtime"] = log.Runtime, ["node"] = log.NodeName, ["at"] = log.At.ToString("O"), ["logs"] = log.Content,
            }, json.JsonObject);
        });
    }
}
