using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ferry.Contracts;
using Ferry.Contracts.Protocol;
using Ferry.Node.Identity;

namespace Ferry.Node.Connection;

/// <summary>
/// The node's only way to the control plane: outbound HTTP calls, signed with the node's key once it is registered.
/// A refusal comes back as <see cref="ServerProblemException"/> with the server's code and message; a network failure
/// as <see cref="HttpRequestException"/> reworded to name the server, or the proxy when the call goes through one
/// ("proxy unreachable", "proxy authentication required (407)").
/// </summary>
public sealed class ServerClient(ControlPlaneHttp http, TimeProvider time)
{
    public Task<RegisterNodeResponse> RegisterAsync(string serverUrl, RegisterNodeRequest request, CancellationToken ct) =>
        SendAsync(serverUrl, NodeProtocol.RegisterPath, request, FerryJsonContext.Default.RegisterNodeRequest,
            FerryJsonContext.Default.RegisterNodeResponse, identity: null, ct)!;

    public Task<HeartbeatResponse> HeartbeatAsync(NodeIdentity identity, HeartbeatRequest request, CancellationToken ct) =>
        SendAsync(identity.ServerUrl, NodeProtocol.HeartbeatPath, request, FerryJsonContext.Default.HeartbeatRequest,
            FerryJsonContext.Default.HeartbeatResponse, identity, ct)!;

    public Task SendSealedCredentialAsync(NodeIdentity identity, SealedCredentialRequest request, CancellationToken ct) =>
        SendAsync<SealedCredentialRequest, object>(identity.ServerUrl, NodeProtocol.SealedCredentialPath, request,
            FerryJsonContext.Default.SealedCredentialRequest, null, identity, ct);

    public Task RotateCredentialKeyAsync(NodeIdentity identity, CredentialRotationRequest request, CancellationToken ct) =>
        SendAsync<CredentialRotationRequest, object>(identity.ServerUrl, NodeProtocol.CredentialRotationPath, request,
            FerryJsonContext.Default.CredentialRotationRequest, null, identity, ct);

    public Task<JobLease?> PollJobAsync(NodeIdentity identity, JobPollRequest request, CancellationToken ct) =>
        SendAsync(identity.ServerUrl, NodeProtocol.JobPollPath, request, FerryJsonContext.Default.JobPollRequest, FerryJsonContext.Default.JobLease, identity, ct);

    public async Task<JobRenewResponse> RenewJobAsync(NodeIdentity identity, Guid jobId, JobRenewRequest request, CancellationToken ct) =>
        await SendAsync(identity.ServerUrl, $"{NodeProtocol.JobsPath}/{jobId}/renew", request, FerryJsonContext.Default.JobRenewRequest,
            FerryJsonContext.Default.JobRenewResponse, identity, ct) ?? new JobRenewResponse(false);

    public Task CompleteJobAsync(NodeIdentity identity, Guid jobId, JobCompleteRequest request, CancellationToken ct) =>
        SendAsync<JobCompleteRequest, object>(identity.ServerUrl, $"{NodeProtocol.JobsPath}/{jobId}/complete", request,
            FerryJsonContext.Default.JobCompleteRequest, null, identity, ct);

    /// <summary>Self-contained interactive authoring: waits (up to the server's poll time) for the next interactive request; null when none came.</summary>
    public Task<InteractiveRequest?> PollInteractiveAsync(NodeIdentity identity, CancellationToken ct) =>
        SendAsync(identity.ServerUrl, NodeProtocol.InteractivePollPath, new System.Text.Json.Nodes.JsonObject(), FerryJsonContext.Default.JsonObject,
            FerryJsonContext.Default.InteractiveRequest, identity, ct);

    public Task SendInteractiveResultAsync(NodeIdentity identity, InteractiveResponse response, CancellationToken ct) =>
        SendAsync<InteractiveResponse, object>(identity.ServerUrl, NodeProtocol.InteractiveResultPath, response,
            FerryJsonContext.Default.InteractiveResponse, null, identity, ct);

    /// <summary>The Authorization header value for a call the node makes outside this client (the relay's WebSocket upgrade).</summary>
    public string Sign(NodeIdentity identity, string method, string path, ReadOnlySpan<byte> body)
    {
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(Convert.FromBase64String(identity.PrivateKey), out _);
        return NodeRequestSignature.Sign(key, identity.NodeId, method, path, time.GetUtcNow(), body).ToHeaderValue();
    }

    /// <summary>What the server knows of this node (dmgcmd -Diagnose); no side effect on the server.</summary>
    public Task<NodeSelfCheck> SelfCheckAsync(NodeIdentity identity, string version, CancellationToken ct) =>
        SendAsync(identity.ServerUrl, NodeProtocol.SelfCheckPath, new NodeSelfCheckRequest(version), FerryJsonContext.Default.NodeSelfCheckRequest,
            FerryJsonContext.Default.NodeSelfCheck, identity, ct)!;

    public Task<SupportLogsResponse> SendSupportLogsAsync(NodeIdentity identity, string logs, CancellationToken ct) =>
        SendAsync(identity.ServerUrl, NodeProtocol.SupportLogsPath, new SupportLogsRequest(logs), FerryJsonContext.Default.SupportLogsRequest,
            FerryJsonContext.Default.SupportLogsResponse, identity, ct)!;

    public Task StoppingAsync(NodeIdentity identity, string reason, CancellationToken ct) =>
        SendAsync<StoppingRequest, object>(identity.ServerUrl, NodeProtocol.StoppingPath, new StoppingRequest(reason),
            FerryJsonContext.Default.StoppingRequest, null, identity, ct);

    private async Task<TResponse?> SendAsync<TRequest, TResponse>(string serverUrl, string path, TRequest body,
        JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse>? responseType, NodeIdentity? identity, CancellationToken ct)
        where TResponse : class
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, requestType);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(serverUrl), path))
        {
            Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (identity is not null)
            message.Headers.TryAddWithoutValidation("Authorization", Sign(identity, "POST", path, bytes));

        HttpResponseMessage response;
        var client = http.Client;
        var proxy = http.ProxyFor(message.RequestUri!);
        try
        {
            response = await client.SendAsync(message, ct);
        }
        catch (HttpRequestException e) when (proxy is not null)
        {
            throw await ProxyFailureAsync(client, proxy, serverUrl, e, ct);
        }
        catch (HttpRequestException e)
        {
            throw new HttpRequestException($"cannot reach the server at {serverUrl}: {e.Message}", e, e.StatusCode);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new HttpRequestException($"the server at {serverUrl} did not answer within {client.Timeout.TotalSeconds:F0} s", e);
        }

        using (response)
        {
            if (proxy is not null && ProxyRefused(response))
                throw ProxyAuthenticationRequired(proxy, null);
            var content = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw ReadProblem(response.StatusCode, content, serverUrl);
            if (responseType is null || content.Length == 0)
                return null;
            try
            {
                return JsonSerializer.Deserialize(content, responseType);
            }
            catch (JsonException)
            {
                throw new HttpRequestException($"the server at {serverUrl} answered with something that is not Ferry's protocol; is the URL right?");
            }
        }
    }

    /// <summary>
    /// What went wrong on the way through <paramref name="proxy"/>: it cannot be reached, it wants other credentials (a
    /// proxy refusing them may close the connection while a request's body is still being sent, so a call without a body
    /// asks again), or it could not reach the server.
    /// </summary>
    private static async Task<HttpRequestException> ProxyFailureAsync(HttpClient client, Uri proxy, string serverUrl, HttpRequestException e, CancellationToken ct)
    {
        if (IsProxyAuthentication(e))
            return ProxyAuthenticationRequired(proxy, e);
        if (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
            return new HttpRequestException($"proxy unreachable: cannot connect to the proxy {proxy.Authority} on the way to {serverUrl}: {e.Message}", e, e.StatusCode);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var probe = await client.GetAsync(new Uri(new Uri(serverUrl), "/health"), timeout.Token);
            if (ProxyRefused(probe))
                return ProxyAuthenticationRequired(proxy, e);
        }
        catch (Exception probeFailure) when (probeFailure is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            if (probeFailure is HttpRequestException h && IsProxyAuthentication(h))
                return ProxyAuthenticationRequired(proxy, e);
        }
        return new HttpRequestException($"cannot reach the server at {serverUrl} through the proxy {proxy.Authority}: {e.Message}", e, e.StatusCode);
    }

    /// <summary>
    /// The proxy, not the server, refused the call: 407, or the 401 with a Basic challenge that some proxies (tinyproxy)
    /// answer wrong credentials with. Ferry's server never challenges for Basic credentials.
    /// </summary>
    public static bool ProxyRefused(HttpResponseMessage response) =>
        response.StatusCode == HttpStatusCode.ProxyAuthenticationRequired
        || (response.StatusCode == HttpStatusCode.Unauthorized && response.Headers.WwwAuthenticate.Any(h => h.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)));

    private static bool IsProxyAuthentication(HttpRequestException e) =>
        e.StatusCode == HttpStatusCode.ProxyAuthenticationRequired || e.Message.Contains("407", StringComparison.Ordinal);

    private static HttpRequestException ProxyAuthenticationRequired(Uri proxy, Exception? inner) => new(
        $"proxy authentication required (407): the proxy {proxy.Authority} refused the node's proxy credentials; set the right user and password " +
        "with dmgcmd -SetProxy", inner, HttpStatusCode.ProxyAuthenticationRequired);

    private static ServerProblemException ReadProblem(HttpStatusCode status, byte[] content, string serverUrl)
    {
        try
        {
            if (JsonSerializer.Deserialize(content, FerryJsonContext.Default.Problem) is { Code.Length: > 0 } problem)
                return new ServerProblemException(status, problem.Code, problem.Detail);
        }
        catch (JsonException)
        {
            // Not a Ferry server (a proxy's error page, say): fall through to a message naming the status.
        }
        return new ServerProblemException(status, status.ToString(),
            $"the server at {serverUrl} answered {(int)status} {status} without a Ferry error; check the URL and any proxy in between.");
    }
}
