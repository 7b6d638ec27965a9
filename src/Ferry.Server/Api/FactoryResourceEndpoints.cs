using Ferry.Contracts;
using Ferry.Server.FactoryResources;

namespace Ferry.Server.Api;

/// <summary>ADF's linked service, dataset and pipeline REST surface: /factories/{factory}/linkedservices, /datasets and /pipelines.</summary>
public static class FactoryResourceEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        foreach (var kind in new[] { FactoryResourceService.LinkedServices, FactoryResourceService.Datasets, FactoryResourceService.Pipelines })
        {
            var group = app.MapGroup($"/factories/{{factory}}/{kind}");
            var json = FerryJsonContext.Default;

            group.MapGet("", async (string factory, FactoryResourceService s, CancellationToken ct) =>
                Results.Json(await s.ListAsync(factory, kind, ct), json.ResourceListFactoryResource));

            group.MapPut("{name}", async (string factory, string name, HttpRequest request, RequestBody body, FactoryResourceService s, CancellationToken ct) =>
            {
                var (resource, created) = await s.CreateOrUpdateAsync(factory, kind, name, await body.ReadObjectAsync(request, ct), ct);
                return Results.Json(resource, json.FactoryResource, statusCode: created ? 201 : 200);
            });

            group.MapGet("{name}", async (string factory, string name, FactoryResourceService s, CancellationToken ct) =>
                Results.Json(await s.GetAsync(factory, kind, name, ct), json.FactoryResource));

            group.MapDelete("{name}", async (string factory, string name, FactoryResourceService s, CancellationToken ct) =>
                await s.DeleteAsync(factory, kind, name, ct) ? Results.Ok() : Results.NoContent());
        }
    }
}
