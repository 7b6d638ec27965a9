using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Tests.Support;

namespace Ferry.Server.Tests;

public class SecretStoreTests
{
    private const string Ls = FactoryResourceService.LinkedServices;

    private static JsonObject Doc(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Store(string? runtime = "ir1", string provider = "Files") => Doc($$"""
        {"properties": {"type": "SecretStore", {{(runtime is null ? "" : $"\"connectVia\": {{\"referenceName\": \"{runtime}\", \"type\": \"IntegrationRuntimeReference\"}},")}}
         "typeProperties": {"provider": "{{provider}}", "folder": "/run/secrets"} } }
        """);

    private static JsonObject UsingStore(string store, string runtime = "ir1", string secretName = "pg-password", string type = "SecretStoreSecret") => Doc($$"""
        {"properties": {"type": "PostgreSqlV2", "connectVia": {"referenceName": "{{runtime}}", "type": "IntegrationRuntimeReference"},
         "typeProperties": {"server": "db", "username": "reader",
           "password": {"type": "{{type}}", "store": {"referenceName": "{{store}}", "type": "LinkedServiceReference"}, "secretName": "{{secretName}}"} } } }
        """);

    private static async Task<ControlPlane> WithRuntimesAsync()
    {
        var cp = await ControlPlane.StartAsync();
        await cp.CreateSelfHostedAsync("ir1");
        await cp.CreateSelfHostedAsync("ir2");
        return cp;
    }

    [Fact]
    public async Task A_reference_into_a_secret_store_is_kept_as_is_and_needs_no_credential_key()
    {
        var cp = await WithRuntimesAsync();
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "vault", Store(), default);

        // ADF's Key Vault shape works too once the store is a Ferry SecretStore.
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", UsingStore("vault", type: "AzureKeyVaultSecret"), default);

        var saved = (await cp.Resources.GetAsync("default", Ls, "pg", default)).Properties["typeProperties"]!;
        Assert.Equal("pg-password", saved["password"]!["secretName"]!.GetValue<string>());
        Assert.Null(saved["encryptedCredential"]);
    }

    [Fact]
    public async Task Wrong_references_are_refused_with_the_name_and_the_fix()
    {
        var cp = await WithRuntimesAsync();
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "vault", Store(), default);
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "plain", Doc("""{"properties": {"type": "Sqlite", "typeProperties": {"path": "/x.db"}}}"""), default);

        var missing = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", UsingStore("nowhere"), default));
        var notAStore = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", UsingStore("plain"), default));
        var otherRuntime = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", UsingStore("vault", runtime: "ir2"), default));
        var pathInName = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", UsingStore("vault", secretName: "../etc/shadow"), default));
        var managedStore = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "v2", Store(runtime: null), default));
        var vault = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.CreateOrUpdateAsync("default", Ls, "v3", Store(provider: "HashiCorpVault"), default));

        Assert.Equal((ErrorCodes.ReferenceNotFound, true), (missing.Code, missing.Message.Contains("'nowhere'", StringComparison.Ordinal)));
        Assert.Equal(ErrorCodes.ReferenceTypeMismatch, notAStore.Code);
        Assert.Contains("'ir1'", otherRuntime.Message, StringComparison.Ordinal);
        Assert.Contains("not a file name", pathInName.Message, StringComparison.Ordinal);
        Assert.Contains("connectVia", managedStore.Message, StringComparison.Ordinal);
        Assert.Contains("must be one of Files", vault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_store_in_use_cannot_be_deleted()
    {
        var cp = await WithRuntimesAsync();
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "vault", Store(), default);
        await cp.Resources.CreateOrUpdateAsync("default", Ls, "pg", UsingStore("vault"), default);

        var e = await Assert.ThrowsAsync<FerryException>(() => cp.Resources.DeleteAsync("default", Ls, "vault", default));

        Assert.Equal(ErrorCodes.ResourceInUse, e.Code);
        Assert.Contains("'pg'", e.Message, StringComparison.Ordinal);
        await cp.Resources.DeleteAsync("default", Ls, "pg", default);
        Assert.True(await cp.Resources.DeleteAsync("default", Ls, "vault", default));
    }
}
