using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Credentials;
using Ferry.Contracts.Names;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Resources;
using Ferry.Server.Api;
using Ferry.Server.Credentials;
using Ferry.Server.Datasets;
using Ferry.Server.Errors;
using Ferry.Server.LinkedServices;
using Ferry.Server.Store;

namespace Ferry.Server.FactoryResources;

/// <summary>
/// Linked services and datasets: ADF's CreateOrUpdate, Get, List and Delete, with every reference checked (a linked
/// service's runtime, a dataset's linked service) and nothing deleted while something still uses it.
/// </summary>
public sealed class FactoryResourceService(IFerryStore store, LinkedServiceSecrets secrets, TimeProvider time)
{
    public const string LinkedServices = "linkedservices";
    public const string Datasets = "datasets";
    public const string Pipelines = "pipelines";

    public async Task<(FactoryResource Resource, bool Created)> CreateOrUpdateAsync(string factory, string kind, string name, JsonObject body, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        if (ResourceName.ValidateObjectName(name, Noun(kind) + " name") is { } nameError)
            throw FerryException.BadRequest(ErrorCodes.InvalidName, nameError);
        JsonRead.CheckBodyName(body, name);

        var properties = JsonRead.RequiredObject(body, "properties", "properties");
        JsonRead.OptionalString(properties, "description", "properties.description");
        if (properties["annotations"] is { } annotations && annotations is not JsonArray)
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "properties.annotations must be an array.");
        JsonRead.OptionalObject(properties, "parameters", "properties.parameters");

        if (kind == LinkedServices)
            await CheckLinkedServiceAsync(factory, properties, ct);
        else if (kind == Datasets)
            await CheckDatasetAsync(factory, properties, ct);
        else
            await Ferry.Server.Pipelines.PipelineCheck.CheckAsync(store, factory, properties, ct);

        var existing = await store.GetResourceAsync(factory, kind, name, ct);
        var row = new FactoryResourceRow(factory, kind, existing?.Name ?? name, properties.ToJsonString(), Etag.New(), existing?.CreatedAt ?? time.GetUtcNow());
        await store.UpsertResourceAsync(row, ct);
        return (ToResource(row), existing is null);
    }

    public async Task<FactoryResource> GetAsync(string factory, string kind, string name, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        return ToResource(await store.GetResourceAsync(factory, kind, name, ct)
                          ?? throw FerryException.NotFound(ErrorCodes.ResourceNotFound,
                              $"{Capitalized(kind)} '{name}' does not exist in factory '{factory}'. `ferry {CliNoun(kind)} list` shows the ones that do."));
    }

    public async Task<ResourceList<FactoryResource>> ListAsync(string factory, string kind, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        return new((await store.ListResourcesAsync(factory, kind, ct)).Select(ToResource).ToList());
    }

    public async Task<bool> DeleteAsync(string factory, string kind, string name, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        if (kind == LinkedServices)
        {
            var users = (await store.ListResourcesAsync(factory, Datasets, ct))
                .Where(d => string.Equals(ReferenceName(Parse(d)["linkedServiceName"]), name, StringComparison.OrdinalIgnoreCase))
                .Select(d => d.Name).ToList();
            if (users.Count > 0)
                throw FerryException.Conflict(ErrorCodes.ResourceInUse,
                    $"Linked service '{name}' is used by dataset(s) {string.Join(", ", users.Select(u => $"'{u}'"))}; delete or repoint them first.");
            var secretUsers = (await store.ListResourcesAsync(factory, LinkedServices, ct))
                .Where(l => LinkedServiceSecrets.SecretProperties.Any(p =>
                    SecretReference.TryRead(Parse(l)["typeProperties"]?[p]) is { } r && string.Equals(r.Store, name, StringComparison.OrdinalIgnoreCase)))
                .Select(l => l.Name).ToList();
            if (secretUsers.Count > 0)
                throw FerryException.Conflict(ErrorCodes.ResourceInUse,
                    $"Secret store '{name}' holds secrets of linked service(s) {string.Join(", ", secretUsers.Select(u => $"'{u}'"))}; repoint them first.");
        }
        if (kind == Datasets)
        {
            var users = (await store.ListResourcesAsync(factory, Pipelines, ct))
                .Where(p => (Parse(p)["activities"] as JsonArray ?? []).OfType<JsonObject>().Any(a =>
                    new[] { "inputs", "outputs" }.Any(side => (a[side] as JsonArray ?? []).Any(r => string.Equals(ReferenceName(r), name, StringComparison.OrdinalIgnoreCase)))))
                .Select(p => p.Name).ToList();
            if (users.Count > 0)
                throw FerryException.Conflict(ErrorCodes.ResourceInUse,
                    $"Dataset '{name}' is used by pipeline(s) {string.Join(", ", users.Select(u => $"'{u}'"))}; delete or change them first.");
        }
        return await store.DeleteResourceAsync(factory, kind, name, ct);
    }

    /// <summary>The linked services that run on the runtime (connectVia), for refusing to delete a runtime still in use.</summary>
    public async Task<IReadOnlyList<string>> LinkedServicesUsingRuntimeAsync(string factory, string runtime, CancellationToken ct) =>
        (await store.ListResourcesAsync(factory, LinkedServices, ct))
        .Where(l => string.Equals(ReferenceName(Parse(l)["connectVia"]), runtime, StringComparison.OrdinalIgnoreCase))
        .Select(l => l.Name).ToList();

    private async Task CheckLinkedServiceAsync(string factory, JsonObject properties, CancellationToken ct)
    {
        var canonical = JsonRead.RequiredType(properties, LinkedServiceTypes.Checks.Keys, "Linked service", ErrorCodes.UnsupportedType);
        var typeProperties = JsonRead.RequiredObject(properties, "typeProperties", "properties.typeProperties");

        RuntimeRow? runtime = null;
        if (JsonRead.OptionalObject(properties, "connectVia", "properties.connectVia") is { } connectVia)
        {
            var referenceName = CheckReference(connectVia, "properties.connectVia", "IntegrationRuntimeReference");
            runtime = await store.GetRuntimeAsync(factory, referenceName, ct)
                      ?? throw FerryException.BadRequest(ErrorCodes.ReferenceNotFound,
                          $"properties.connectVia names integration runtime '{referenceName}', which does not exist in factory '{factory}'. " +
                          "Create it first (`ferry ir create`), or leave connectVia out to run on the managed runtime.");
        }
        await secrets.SealAsync(runtime, typeProperties, "properties.typeProperties", ct);
        LinkedServiceTypes.Checks[canonical](new PropertyRules(typeProperties, "properties.typeProperties"));
        if (canonical == LinkedServiceTypes.SecretStore && runtime?.Type != IntegrationRuntimeType.SelfHosted)
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
                "A SecretStore is read by the nodes of a self-hosted runtime: give it properties.connectVia naming one.");
        await CheckSecretReferencesAsync(factory, runtime, typeProperties, ct);
    }

    /// <summary>Each secret store reference names an existing SecretStore on the same runtime, whose nodes read it.</summary>
    private async Task CheckSecretReferencesAsync(string factory, RuntimeRow? runtime, JsonObject typeProperties, CancellationToken ct)
    {
        foreach (var name in LinkedServiceSecrets.SecretProperties)
        {
            if (SecretReference.TryRead(typeProperties[name]) is not { } reference)
                continue;
            var path = $"properties.typeProperties.{name}.store";
            var secretStore = await store.GetResourceAsync(factory, LinkedServices, reference.Store, ct)
                        ?? throw FerryException.BadRequest(ErrorCodes.ReferenceNotFound,
                            $"{path} names linked service '{reference.Store}', which does not exist in factory '{factory}'. Create the SecretStore first.");
            var storeProperties = Parse(secretStore);
            if (!string.Equals(storeProperties["type"]?.GetValue<string>(), LinkedServiceTypes.SecretStore, StringComparison.OrdinalIgnoreCase))
                throw FerryException.BadRequest(ErrorCodes.ReferenceTypeMismatch,
                    $"{path} must name a SecretStore linked service; '{secretStore.Name}' is {storeProperties["type"]}.");
            var storeRuntime = ReferenceName(storeProperties["connectVia"]);
            if (runtime is null || !string.Equals(storeRuntime, runtime.Name, StringComparison.OrdinalIgnoreCase))
                throw FerryException.BadRequest(ErrorCodes.ReferenceTypeMismatch,
                    $"Secret store '{secretStore.Name}' is read by the nodes of runtime '{storeRuntime}', so this linked service must connect via '{storeRuntime}' too.");
        }
    }

    private async Task CheckDatasetAsync(string factory, JsonObject properties, CancellationToken ct)
    {
        var canonical = JsonRead.RequiredType(properties, DatasetTypes.All.Keys, "Dataset", ErrorCodes.UnsupportedType);
        var datasetType = DatasetTypes.All[canonical];
        if (properties["schema"] is { } schema && schema is not JsonArray)
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "properties.schema must be an array.");
        var typeProperties = JsonRead.OptionalObject(properties, "typeProperties", "properties.typeProperties") ?? [];
        datasetType.Check(new PropertyRules(typeProperties, "properties.typeProperties"));

        var reference = JsonRead.RequiredObject(properties, "linkedServiceName", "properties.linkedServiceName");
        var linkedServiceName = CheckReference(reference, "properties.linkedServiceName", "LinkedServiceReference");
        var linkedService = await store.GetResourceAsync(factory, LinkedServices, linkedServiceName, ct)
                            ?? throw FerryException.BadRequest(ErrorCodes.ReferenceNotFound,
                                $"properties.linkedServiceName names linked service '{linkedServiceName}', which does not exist in factory '{factory}'. " +
                                "Create it first (`ferry linked-service create`).");
        var linkedServiceType = Parse(linkedService)["type"]?.GetValue<string>();
        if (!datasetType.LinkedServiceTypes.Contains(linkedServiceType ?? "", StringComparer.OrdinalIgnoreCase))
            throw FerryException.BadRequest(ErrorCodes.ReferenceTypeMismatch,
                $"A {canonical} dataset needs a {string.Join(" or ", datasetType.LinkedServiceTypes)} linked service; '{linkedService.Name}' is {linkedServiceType}.");
        if (datasetType.LinkedServiceTypes.Count > 1 && typeProperties["location"]?["type"]?.GetValue<string>() is { } location
            && !string.Equals(location, $"{linkedServiceType}Location", StringComparison.OrdinalIgnoreCase))
            throw FerryException.BadRequest(ErrorCodes.ReferenceTypeMismatch,
                $"properties.typeProperties.location.type is {location}, but '{linkedService.Name}' is a {linkedServiceType} linked service; use {linkedServiceType}Location.");
    }

    private static string CheckReference(JsonObject reference, string path, string expectedType)
    {
        var type = JsonRead.RequiredString(reference, "type", path + ".type");
        if (type != expectedType)
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"{path}.type must be '{expectedType}', not '{type}'.");
        return JsonRead.RequiredString(reference, "referenceName", path + ".referenceName");
    }

    private static string? ReferenceName(JsonNode? reference) =>
        reference is JsonObject o && o["referenceName"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static JsonObject Parse(FactoryResourceRow row) => JsonNode.Parse(row.PropertiesJson)!.AsObject();

    private static FactoryResource ToResource(FactoryResourceRow r) => new(
        $"/factories/{r.Factory}/{r.Kind}/{r.Name}", r.Name, $"Microsoft.DataFactory/factories/{r.Kind}", r.Etag, Parse(r));


    private static string Noun(string kind) => kind switch { LinkedServices => "linked service", Datasets => "dataset", _ => "pipeline" };
    private static string Capitalized(string kind) => kind switch { LinkedServices => "Linked service", Datasets => "Dataset", _ => "Pipeline" };
    private static string CliNoun(string kind) => kind switch { LinkedServices => "linked-service", Datasets => "dataset", _ => "pipeline" };
}
