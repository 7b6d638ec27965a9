using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Names;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Resources;
using Ferry.Server.Errors;
using Ferry.Server.Store;

namespace Ferry.Server.Alerts;

/// <summary>
/// Alert rules, stored with the factory's resources (kind alertRules): a rule watches one runtime (or all) and fires
/// when a node or the runtime leaves Online (<c>leftOnline</c>), or when a node that was reporting has been silent for
/// longer than <c>silentForSeconds</c> (<c>silent</c>), by POSTing JSON to its webhook. A webhook URL often carries a
/// token of its own, so it is kept sealed (AES-GCM under a key derived from the server's key secret) and shown only
/// as its scheme and host.
/// </summary>
public sealed class AlertRuleService(IFerryStore store, WebhookSeal seal, TimeProvider time)
{
    public const string Kind = "alertRules";
    public const string LeftOnline = "leftOnline";
    public const string Silent = "silent";

    public async Task<(FactoryResource Resource, bool Created)> CreateOrUpdateAsync(string factory, string name, JsonObject body, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        if (ResourceName.ValidateObjectName(name, "alert rule name") is { } nameError)
            throw FerryException.BadRequest(ErrorCodes.InvalidName, nameError);
        var properties = body["properties"] as JsonObject
                         ?? throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "An alert rule needs properties: {\"condition\": \"leftOnline\", \"webhook\": {\"url\": \"https://...\"}}.");
        var condition = properties["condition"]?.GetValue<string>() ?? LeftOnline;
        if (condition is not (LeftOnline or Silent))
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"properties.condition '{condition}' is not one of leftOnline, silent.");
        int? silentFor = null;
        if (condition == Silent)
        {
            silentFor = properties["silentForSeconds"] is JsonValue v && v.TryGetValue<int>(out var seconds) && seconds is >= 1 and <= 86400 ? seconds
                : throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "A silent rule needs properties.silentForSeconds: whole seconds, 1 to 86400.");
        }
        var runtime = properties["runtime"]?.GetValue<string>();
        if (runtime is not null && await store.GetRuntimeAsync(factory, runtime, ct) is null)
            throw FerryException.BadRequest(ErrorCodes.RuntimeNotFound, $"There is no integration runtime '{runtime}' in factory '{factory}' to watch.");
        var url = properties["webhook"]?["url"]?.GetValue<string>();
        var existing = await store.GetResourceAsync(factory, Kind, name, ct);
        string sealedUrl;
        if (url is null && existing is not null)
            sealedUrl = JsonNode.Parse(existing.PropertiesJson)!["webhook"]!["sealedUrl"]!.GetValue<string>(); // an update that keeps the webhook
        else if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            sealedUrl = seal.Seal(uri.AbsoluteUri);
        else
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "properties.webhook.url must be an absolute http:// or https:// URL: where the alert is POSTed.");

        var stored = new JsonObject
        {
            ["condition"] = condition,
            ["runtime"] = runtime,
            ["silentForSeconds"] = silentFor,
            ["webhook"] = new JsonObject { ["url"] = Shown(seal.Open(sealedUrl)), ["sealedUrl"] = sealedUrl },
        };
        var row = new FactoryResourceRow(factory, Kind, existing?.Name ?? name, stored.ToJsonString(), Etag.New(), existing?.CreatedAt ?? time.GetUtcNow());
        await store.UpsertResourceAsync(row, ct);
        return (ToResource(row), existing is null);
    }

    public async Task<ResourceList<FactoryResource>> ListAsync(string factory, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        return new((await store.ListResourcesAsync(factory, Kind, ct)).Select(ToResource).ToList());
    }

    public async Task<FactoryResource> GetAsync(string factory, string name, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        var row = await store.GetResourceAsync(factory, Kind, name, ct)
                  ?? throw FerryException.NotFound(ErrorCodes.NotFound, $"Alert rule '{name}' does not exist in factory '{factory}'. `ferry alert list` shows the ones that do.");
        var resource = ToResource(row);
        // The last deliveries, so a rule that does not seem to fire can be looked into.
        resource.Properties["deliveries"] = new JsonArray((await store.ListAlertDeliveriesAsync(factory, row.Name, 10, ct)).Select(d => (JsonNode)new JsonObject
        {
            ["at"] = d.CreatedAt.ToString("O"), ["status"] = d.Status, ["attempts"] = d.Attempts, ["lastError"] = d.LastError,
            ["alert"] = JsonNode.Parse(d.PayloadJson),
        }).ToArray());
        return resource;
    }

    public async Task<bool> DeleteAsync(string factory, string name, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        return await store.DeleteResourceAsync(factory, Kind, name, ct);
    }

    /// <summary>The URL as shown: scheme, host and port, never its path or query (where tokens live).</summary>
    private static string Shown(string url) => new Uri(url).GetLeftPart(UriPartial.Authority) + "/…";

    private static FactoryResource ToResource(FactoryResourceRow r)
    {
        var properties = JsonNode.Parse(r.PropertiesJson)!.AsObject();
        (properties["webhook"] as JsonObject)?.Remove("sealedUrl");
        return new FactoryResource($"/factories/{r.Factory}/{Kind}/{r.Name}", r.Name, $"Ferry/factories/{Kind}", r.Etag, properties);
    }
}

/// <summary>Seals webhook URLs under a key derived from the server's key secret (every instance of one control plane shares it).</summary>
public sealed class WebhookSeal(byte[] serverKeySecret)
{
    private readonly byte[] _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, serverKeySecret, 32, info: Encoding.UTF8.GetBytes("ferry alert webhook url"));

    public string Seal(string url)
    {
        var plain = Encoding.UTF8.GetBytes(url);
        var output = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(output.AsSpan(0, 12), plain, output.AsSpan(12, plain.Length), output.AsSpan(12 + plain.Length));
        return Convert.ToBase64String(output);
    }

    public string Open(string sealedUrl)
    {
        var bytes = Convert.FromBase64String(sealedUrl);
        var plain = new byte[bytes.Length - 28];
        using var aes = new AesGcm(_key, 16);
        aes.Decrypt(bytes.AsSpan(0, 12), bytes.AsSpan(12, plain.Length), bytes.AsSpan(12 + plain.Length), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
