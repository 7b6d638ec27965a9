using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;

namespace Ferry.Cli.Connection;

/// <summary>Calls the control plane's REST API; a refusal becomes a <see cref="CliException"/> carrying the server's message.</summary>
public sealed class ApiClient(ClientSettings settings) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(100) };

    public string Factory => settings.Factory;

    public string RuntimePath(string? name = null) =>
        $"/factories/{Uri.EscapeDataString(settings.Factory)}/integrationRuntimes" + (name is null ? "" : "/" + Uri.EscapeDataString(name));

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        if (!Uri.TryCreate(settings.Server + path, UriKind.Absolute, out var uri))
            throw new CliException($"'{settings.Server}' is not a server URL; pass --server http://host:port.");
        using var request = new HttpRequestMessage(method, uri);
        if (settings.Token is { Length: > 0 } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the Ferry server at {settings.Server}: {e.Message}. Is it running? Set --server or FERRY_SERVER.");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the Ferry server at {settings.Server} did not answer within {_http.Timeout.TotalSeconds:F0} s.");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
                throw new CliException(ProblemMessage(response, text));
            if (text.Length == 0)
                return null;
            try
            {
                return JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                throw new CliException($"{settings.Server} answered with something that is not JSON; is it a Ferry server?");
            }
        }
    }

    private string ProblemMessage(HttpResponseMessage response, string text)
    {
        try
        {
            if (JsonSerializer.Deserialize(text, FerryJsonContext.Default.Problem) is { Detail.Length: > 0 } problem)
                return $"{problem.Detail} ({problem.Code})";
        }
        catch (JsonException)
        {
            // Not a Ferry problem document: report the status instead.
        }
        return $"{settings.Server} answered {(int)response.StatusCode} {response.ReasonPhrase}; is it a Ferry server?";
    }

    public void Dispose() => _http.Dispose();
}
