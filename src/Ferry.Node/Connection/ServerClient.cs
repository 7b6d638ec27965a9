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
/// as <see cref="HttpRequestException"/> reworded to name the server.
/// </summary>
public sealed class ServerClient(HttpClient http, TimeProvider time)
{
    public static HttpClient CreateHttpClient() => new(new SocketsHttpHandler
    {
        // Re-resolve DNS now and then, so a server that moved is found again without a node restart.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

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
        try
        {
            response = await http.SendAsync(message, ct);
        }
        catch (HttpRequestException e)
        {
            throw new HttpRequestException($"cannot reach the server at {serverUrl}: {e.Message}", e, e.StatusCode);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new HttpRequestException($"the server at {serverUrl} did not answer within {http.Timeout.TotalSeconds:F0} s", e);
        }

        using (response)
        {
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
