using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;

namespace Ferry.Cli.Connection;

/// <summary>
/// Talks to a node's remote access port directly, over the local network, without the control plane. The node's
/// certificate is trusted by the system's roots, or pinned by its SHA-256 fingerprint (a self-signed one).
/// </summary>
public sealed class NodeRemoteClient(string nodeUrl, string token, string? certificateFingerprint) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(10),
        UseProxy = false,
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificateFingerprint is { Length: > 0 } pin
                    ? certificate is not null && string.Equals(Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())),
                        pin.Replace(":", "", StringComparison.Ordinal).Trim(), StringComparison.OrdinalIgnoreCase)
                    : errors == SslPolicyErrors.None,
        },
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public async Task<JsonNode> EncryptCredentialAsync(JsonNode document, CancellationToken ct)
    {
        if (!Uri.TryCreate(nodeUrl.TrimEnd('/') + "/remote/v1/encrypt-credential", UriKind.Absolute, out var uri) || uri.Scheme != "https")
            throw new CliException($"'{nodeUrl}' is not a node's remote access URL; give https://host:port (dmgcmd -EnableRemoteAccess prints it).");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri)
        {
            Content = new StringContent(document.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            throw new CliException($"the node at {nodeUrl} presented a certificate that is not trusted{(certificateFingerprint is null ? "; pass --node-certificate <SHA-256> (dmgcmd -EnableRemoteAccess prints it)" : " and does not match --node-certificate")}.");
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the node at {nodeUrl}: {e.Message}. Is remote access on (dmgcmd -EnableRemoteAccess, then -Restart) and the port open?");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the node at {nodeUrl} did not answer within 30 s.");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                string? detail = null;
                try
                {
                    detail = JsonSerializer.Deserialize(text, FerryJsonContext.Default.Problem)?.Detail;
                }
                catch (JsonException)
                {
                }
                throw new CliException(detail ?? $"the node at {nodeUrl} answered {(int)response.StatusCode}; is that a Ferry node's remote access port?");
            }
            return JsonNode.Parse(text) ?? throw new CliException($"the node at {nodeUrl} answered with nothing.");
        }
    }

    public void Dispose() => _http.Dispose();
}
