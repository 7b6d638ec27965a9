using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.EndToEnd.Tests.Harness;

namespace Ferry.EndToEnd.Tests;

/// <summary>Bad input against a real server: always a 4xx problem with a stable code and a message naming the problem, never a 500.</summary>
public sealed class BadInputTests : IAsyncLifetime, IDisposable
{
    private readonly TempDir _dirs = new();
    private readonly HttpClient _http = new();
    private FerryServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FerryServer.StartAsync(_dirs.Sub("server"), "--max-body-bytes", "4096");
        _http.BaseAddress = new Uri(_server.Url);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.Token);
        await _server.FerryJsonAsync("ir", "create", "--name", "ir1");
    }

    [Theory]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir2", "{\"properties\": {\"type\": ", 400, "InvalidJson", "not valid JSON")]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir2", "[1,2]", 400, "InvalidJson", "must be a JSON object")]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir2", "{}", 400, "InvalidProperty", "properties is required")]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir2", "{\"properties\": {\"type\": 7}}", 400, "InvalidProperty", "properties.type must be a string, not a number")]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir2", "{\"properties\": {\"type\": \"SelfHosted\", \"description\": []}}", 400, "InvalidProperty", "properties.description must be a string, not an array")]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir2", "{\"properties\": {\"type\": \"Azure\"}}", 400, "UnsupportedRuntimeType", "SelfHosted, Managed")]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir_2", "{\"properties\": {\"type\": \"SelfHosted\"}}", 400, "InvalidName", "only letters, digits and hyphens")]
    [InlineData("PUT", "/factories/default/integrationRuntimes/ir1", "{\"properties\": {\"type\": \"Managed\"}}", 409, "RuntimeTypeChange", "cannot change")]
    [InlineData("GET", "/factories/default/integrationRuntimes/nope", null, 404, "RuntimeNotFound", "'nope' does not exist")]
    [InlineData("GET", "/factories/other/integrationRuntimes", null, 404, "FactoryNotFound", "Factory 'other'")]
    [InlineData("POST", "/factories/default/integrationRuntimes/ir1/regenerateAuthKey", "{\"keyName\": \"authKey3\"}", 400, "InvalidKeyName", "authKey1")]
    [InlineData("PATCH", "/factories/default/integrationRuntimes/ir1", "{\"autoUpdate\": \"Sometimes\"}", 400, "InvalidProperty", "'On' or 'Off'")]
    [InlineData("PATCH", "/factories/default/integrationRuntimes/ir1", "{\"updateDelayOffset\": \"3 hours\"}", 400, "InvalidProperty", "ISO 8601")]
    [InlineData("PATCH", "/factories/default/integrationRuntimes/ir1", "{\"type\": \"Managed\"}", 400, "InvalidProperty", "cannot be updated")]
    [InlineData("GET", "/factories/default/integrationRuntimes/ir1/nodes/ghost", null, 404, "NodeNotFound", "no node named 'ghost'")]
    [InlineData("GET", "/nothing/here", null, 404, "NotFound", "There is no GET /nothing/here")]
    [InlineData("GET", "/node/v1/heartbeat", null, 404, "NotFound", "There is no GET /node/v1/heartbeat")]
    [InlineData("GET", "/factories/default/integrationRuntimes/ir1/statusEvents?limit=many", null, 400, "InvalidProperty", "limit=many was refused (400)")]
    public async Task Bad_management_calls_get_a_problem_naming_what_is_wrong(string method, string path, string? body, int status, string code, string message)
    {
        var (actualStatus, problem) = await SendAsync(method, path, body);

        Assert.Equal(status, actualStatus);
        Assert.Equal(code, problem["code"]!.GetValue<string>());
        Assert.Contains(message, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        var description = new string('x', 8000);
        var (status, problem) = await SendAsync("PUT", "/factories/default/integrationRuntimes/big",
            $"{{\"properties\": {{\"type\": \"SelfHosted\", \"description\": \"{description}\"}}}}");

        Assert.Equal(413, status);
        Assert.Equal("BodyTooLarge", problem["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_properties_are_kept_not_dropped()
    {
        await SendAsync("PUT", "/factories/default/integrationRuntimes/keeper",
            "{\"properties\": {\"type\": \"SelfHosted\", \"typeProperties\": {\"linkedInfo\": {\"authorizationType\": \"Key\"}}, \"futureFlag\": true}}");

        var (_, resource) = await SendAsync("GET", "/factories/default/integrationRuntimes/keeper", null);

        Assert.Equal("Key", resource["properties"]!["typeProperties"]!["linkedInfo"]!["authorizationType"]!.GetValue<string>());
        Assert.True(resource["properties"]!["futureFlag"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_missing_or_wrong_token_gets_401_with_a_plain_message()
    {
        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.Url) };
        var missing = await anonymous.GetAsync("/factories/default/integrationRuntimes");
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ferry_wrong");
        var wrong = await anonymous.GetAsync("/factories/default/integrationRuntimes");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("TokenMissing", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("TokenInvalid", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_token_file_is_readable_only_by_its_owner()
    {
        Assert.False(OperatingSystem.IsWindows(), "this check is for Unix file modes");
        var mode = File.GetUnixFileMode(Path.Combine(_server.DataDir, "admin-token"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Forged_expired_skewed_and_replayed_node_signatures_are_refused_each_with_its_reason()
    {
        using var nodeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var nodeId = await RegisterAsync(nodeKey);
        var body = Heartbeat();

        // The genuine signature works once...
        var genuine = NodeRequestSignature.Sign(nodeKey, nodeId, "POST", NodeProtocol.HeartbeatPath, DateTimeOffset.UtcNow, body);
        Assert.Equal(200, (await NodeCallAsync(genuine, body)).Status);
        // ...and not twice.
        Assert.Equal((401, "SignatureReplayed"), Short(await NodeCallAsync(genuine, body)));

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = NodeRequestSignature.Sign(otherKey, nodeId, "POST", NodeProtocol.HeartbeatPath, DateTimeOffset.UtcNow, body);
        Assert.Equal((401, "SignatureInvalid"), Short(await NodeCallAsync(forged, body)));

        var expired = NodeRequestSignature.Sign(nodeKey, nodeId, "POST", NodeProtocol.HeartbeatPath, DateTimeOffset.UtcNow.AddMinutes(-10), body);
        var (status, problem) = await NodeCallAsync(expired, body);
        Assert.Equal((401, "ClockSkew"), (status, problem["code"]!.GetValue<string>()));
        Assert.Contains("behind", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var ahead = NodeRequestSignature.Sign(nodeKey, nodeId, "POST", NodeProtocol.HeartbeatPath, DateTimeOffset.UtcNow.AddMinutes(5), body);
        (status, problem) = await NodeCallAsync(ahead, body);
        Assert.Equal((401, "ClockSkew"), (status, problem["code"]!.GetValue<string>()));
        Assert.Contains("ahead of the server's", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var unknownNode = NodeRequestSignature.Sign(nodeKey, Guid.NewGuid(), "POST", NodeProtocol.HeartbeatPath, DateTimeOffset.UtcNow, body);
        Assert.Equal((410, "NodeRemoved"), Short(await NodeCallAsync(unknownNode, body)));
    }

    [Fact]
    public async Task A_heartbeat_with_a_malformed_body_is_a_400_naming_the_json_path()
    {
        using var nodeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var nodeId = await RegisterAsync(nodeKey);
        var body = Encoding.UTF8.GetBytes("{\"version\": \"0.1.0\", \"processorCount\": \"many\"}");
        var signature = NodeRequestSignature.Sign(nodeKey, nodeId, "POST", NodeProtocol.HeartbeatPath, DateTimeOffset.UtcNow, body);

        var (status, problem) = await NodeCallAsync(signature, body);

        Assert.Equal(400, status);
        Assert.Contains("$.processorCount", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dmgcmd_refuses_unknown_and_unbuilt_actions_with_non_zero_exits()
    {
        var unknown = await Commands.DmgcmdAsync(_dirs.Sub("n"), "-Frobnicate");
        var unbuilt = await Commands.DmgcmdAsync(_dirs.Sub("n"), "-ssa", "DOMAIN\\ferry");
        var badPort = await Commands.DmgcmdAsync(_dirs.Sub("n"), "-era", "99999");
        var garbled = await Commands.DmgcmdAsync(_dirs.Sub("n"), "-rn", "IR@ferry1@9999@abc");

        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("unknown action", unknown.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, unbuilt.ExitCode);
        Assert.Contains("-SwitchServiceAccount is not available yet", unbuilt.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, badPort.ExitCode);
        Assert.Contains("'99999' is not a port", badPort.Stderr, StringComparison.Ordinal);
        Assert.NotEqual(0, garbled.ExitCode);
        Assert.Contains("truncated", garbled.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ferry_cli_prints_the_servers_message_and_exits_non_zero()
    {
        var result = await _server.FerryAsync("ir", "show", "--name", "missing-runtime");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("'missing-runtime' does not exist", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    private async Task<Guid> RegisterAsync(ECDsa nodeKey)
    {
        var key = (await _server.FerryJsonAsync("ir", "list-auth-key", "--name", "ir1"))["authKey1"]!.GetValue<string>();
        var request = new RegisterNodeRequest(key, "probe-" + Guid.NewGuid().ToString("N")[..6], "probe", Convert.ToBase64String(nodeKey.ExportSubjectPublicKeyInfo()),
            "0.1.0", 2, 4096, "Linux");
        var response = await _http.PostAsync(NodeProtocol.RegisterPath, new StringContent(JsonSerializer.Serialize(request, Contracts.FerryJsonContext.Default.RegisterNodeRequest),
            Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonSerializer.Deserialize(text, Contracts.FerryJsonContext.Default.RegisterNodeResponse)!.NodeId;
    }

    private static byte[] Heartbeat() => JsonSerializer.SerializeToUtf8Bytes(new HeartbeatRequest("0.1.0", NodeProtocol.Version, DateTimeOffset.UtcNow,
        DateTimeOffset.UtcNow, 1, 1000, 4000, 2, 0, 4, 0, 0, null), Contracts.FerryJsonContext.Default.HeartbeatRequest);

    private async Task<(int Status, JsonNode Body)> NodeCallAsync(NodeRequestSignature signature, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, NodeProtocol.HeartbeatPath) { Content = new ByteArrayContent(body) };
        request.Headers.TryAddWithoutValidation("Authorization", signature.ToHeaderValue());
        using var anonymous = new HttpClient { BaseAddress = new Uri(_server.Url) };
        var response = await anonymous.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static (int, string) Short((int Status, JsonNode Body) r) => (r.Status, r.Body["code"]!.GetValue<string>());

    private async Task<(int Status, JsonNode Body)> SendAsync(string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{method} {path} answered {(int)response.StatusCode}: {text}");
        return ((int)response.StatusCode, text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!);
    }

    public Task DisposeAsync() => Task.CompletedTask; // Dispose() cleans up

    public void Dispose()
    {
        _server?.Dispose();
        _http.Dispose();
        _dirs.Dispose();
    }
}
