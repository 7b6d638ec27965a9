using Ferry.Contracts;
using Ferry.Server.Api;

namespace Ferry.Server.Alerts;

/// <summary>/factories/{factory}/alertRules: list, PUT, GET (with its last deliveries), DELETE.</summary>
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
    }
}
