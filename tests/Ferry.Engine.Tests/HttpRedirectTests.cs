using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Connectors.Http;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Tests;

/// <summary>
/// Redirects, which the HttpServer connector follows itself, hop by hop, against two real listeners on loopback (two
/// ports: two origins; a TLS one for the downgrade). Whether a hop to this machine is refused is in the end-to-end
/// tests (ProxyTests), where the node has a network of its own.
/// </summary>
public sealed class HttpRedirectTests : IDisposable
{
    private static readonly NodeAccessPolicy Local = NodeAccessPolicy.Default with { LocalMachineAccess = true };
    private readonly Listener _origin;
    private readonly Listener _other;

    public HttpRedirectTests()
    {
        _other = new Listener(_ => (200, null, "from the other origin"));
        _origin = new Listener(request => request.Url!.AbsolutePath switch
        {
            "/same" => (302, "ok", ""), // relative, to the same origin
            "/ok" => (request.Headers["Authorization"] is null ? 401 : 200, null, "ok"),
            "/cross" => (302, _other.Url + "seen", ""),
            "/loop" => (302, "/loop", ""),
            "/nowhere" => (302, null, ""),
            "/see-other" => (303, "/echo", ""),
            "/temporary" => (307, "/echo", ""),
            "/found" => (302, "/echo", ""),
            "/echo" => (200, null, $"{request.HttpMethod} {new StreamReader(request.InputStream).ReadToEnd()}"),
            "/ftp" => (302, "ftp://example.org/file", ""),
            _ => (404, null, ""),
        });
    }

    private static JsonObject LinkedService(string url) => JsonNode.Parse(Support.Json(new
    {
        url, authenticationType = "Basic", userName = "api", password = new { type = "SecureString", value = "s3cret-http" },
        enableServerCertificateValidation = false,
    }))!.AsObject();

    private static async Task<string> FetchAsync(string url, string path, string method = "GET")
    {
        var connector = new HttpConnector(new LinkedServiceSettings("HttpServer", LinkedService(url), new JsonObject()), Support.Context(Local));
        var file = connector.File(new JsonObject { ["location"] = new JsonObject { ["relativeUrl"] = path } }, new JsonObject
        {
            ["requestMethod"] = method, ["requestBody"] = "abc", ["additionalHeaders"] = "X-Api-Key: k1\nCookie: session=s1",
        });
        await using var body = await file.OpenAsync(CancellationToken.None);
        return await new StreamReader(body).ReadToEndAsync();
    }

    [Fact]
    public async Task A_redirect_within_the_origin_keeps_the_credentials_and_one_to_another_origin_gets_none_of_them()
    {
        Assert.Equal("ok", await FetchAsync(_origin.Url, "same"));
        Assert.Equal("from the other origin", await FetchAsync(_origin.Url, "cross"));

        var seen = _other.Requests.Single();
        Assert.Equal(("/seen", null, null, "k1"), (seen.Path, seen.Authorization, seen.Cookie, seen.ApiKey));
        var first = _origin.Requests.First(r => r.Path == "/cross");
        Assert.Equal(("session=s1", "k1"), (first.Cookie, first.ApiKey));
        Assert.StartsWith("Basic ", first.Authorization, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_POST_becomes_a_GET_without_its_body_after_303_and_302_and_stays_a_POST_with_its_body_after_307()
    {
        Assert.Equal("GET ", await FetchAsync(_origin.Url, "see-other", "POST"));
        Assert.Equal("GET ", await FetchAsync(_origin.Url, "found", "POST"));
        Assert.Equal("POST abc", await FetchAsync(_origin.Url, "temporary", "POST"));
    }

    [Fact]
    public async Task Endless_redirects_a_redirect_with_nowhere_to_go_and_one_to_another_scheme_are_errors_that_say_so()
    {
        var loop = await Assert.ThrowsAsync<DataStoreException>(() => FetchAsync(_origin.Url, "loop"));
        var nowhere = await Assert.ThrowsAsync<DataStoreException>(() => FetchAsync(_origin.Url, "nowhere"));
        var ftp = await Assert.ThrowsAsync<DataStoreException>(() => FetchAsync(_origin.Url, "ftp"));

        Assert.Contains("redirected more than 5 times", loop.Message, StringComparison.Ordinal);
        Assert.Equal(6, _origin.Requests.Count(r => r.Path == "/loop")); // the first request and five redirects, no more
        Assert.Contains("answered 302 Found without a Location to follow", nowhere.Message, StringComparison.Ordinal);
        Assert.Contains("redirected to 'ftp://example.org/file', which is not an http(s) URL", ftp.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_from_https_to_http_is_not_followed()
    {
        using var certificate = SelfSigned();
        using var tls = new TcpListener(IPAddress.Loopback, 0);
        tls.Start();
        var serving = Task.Run(async () =>
        {
            using var client = await tls.AcceptTcpClientAsync();
            await using var stream = new SslStream(client.GetStream());
            await stream.AuthenticateAsServerAsync(certificate);
            var reader = new StreamReader(stream, Encoding.ASCII);
            while (await reader.ReadLineAsync() is { Length: > 0 })
            {
            }
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 302 Found\r\nLocation: {_origin.Url}ok\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
        });

        var downgrade = await Assert.ThrowsAsync<DataStoreException>(() => FetchAsync($"https://127.0.0.1:{((IPEndPoint)tls.LocalEndpoint).Port}/", "secure"));

        await serving.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains($"redirected from https to {_origin.Url}ok, which is not encrypted", downgrade.Message, StringComparison.Ordinal);
        Assert.Empty(_origin.Requests); // the password was not sent in the clear
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ferry-redirect-test", key, HashAlgorithmName.SHA256);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    public void Dispose()
    {
        _origin.Dispose();
        _other.Dispose();
    }

    private sealed record Seen(string Path, string? Authorization, string? Cookie, string? ApiKey);

    /// <summary>A loopback HTTP listener answering each request with (status, Location, body) and keeping what it saw.</summary>
    private sealed class Listener : IDisposable
    {
        private readonly HttpListener _listener = new();

        public Listener(Func<HttpListenerRequest, (int Status, string? Location, string Body)> answer)
        {
            Url = $"http://127.0.0.1:{Support.FreePort()}/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await _listener.GetContextAsync();
                    }
                    catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                    {
                        return;
                    }
                    var request = context.Request;
                    Requests.Enqueue(new Seen(request.Url!.AbsolutePath, request.Headers["Authorization"], request.Headers["Cookie"], request.Headers["X-Api-Key"]));
                    var (status, location, body) = answer(request);
                    context.Response.StatusCode = status;
                    if (location is not null)
                        context.Response.RedirectLocation = location;
                    await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body));
                    context.Response.Close();
                }
            });
        }

        public string Url { get; }
        public ConcurrentQueue<Seen> Requests { get; } = new();

        public void Dispose() => _listener.Close();
    }
}
