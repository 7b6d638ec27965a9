using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json.Nodes;
using Ferry.Engine.Copy;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Connectors.Http;

/// <summary>
/// ADF's HttpServer linked service (anonymous or basic). Every connection, including those a redirect opens, is made
/// to an address checked against local machine access at the moment of connecting; through the node's proxy, every
/// hop's host is judged by its name before it is sent.
/// </summary>
public sealed class HttpConnector(LinkedServiceSettings settings, EngineContext context)
{
    private const int MaxRedirects = 5;

    public async Task<string> TestConnectionAsync(CancellationToken ct)
    {
        var uri = BaseUri();
        using var client = CreateClient(TimeSpan.FromSeconds(30));
        using var response = await SendAsync(client, new Request(HttpMethod.Get, uri, [], null), ct);
        return $"{uri.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}.";
    }

    /// <summary>
    /// The file a copy source reads from this server: the dataset's location.relativeUrl under the linked service's url,
    /// fetched with the source's storeSettings (ADF's HttpReadSettings: requestMethod, additionalHeaders, requestBody,
    /// requestTimeout) and streamed as it arrives.
    /// </summary>
    public SourceFile File(JsonObject datasetProperties, JsonObject? storeSettings)
    {
        var baseUri = BaseUri();
        var relative = (datasetProperties["location"] as JsonObject)?["relativeUrl"]?.GetValue<string>() ?? "";
        var uri = relative.Length == 0 ? baseUri
            : Uri.TryCreate(baseUri, relative, out var combined) && combined.Scheme is "http" or "https" ? combined
            : throw new DataStoreException(ErrorCodes.InvalidProperty, $"location.relativeUrl '{relative}' does not make an http(s) URL with {baseUri}.");
        var method = storeSettings?["requestMethod"]?.GetValue<string>()?.ToUpperInvariant() ?? "GET";
        if (method is not ("GET" or "POST"))
            throw new DataStoreException(ErrorCodes.InvalidProperty, $"storeSettings.requestMethod '{method}' is not supported; use GET or POST.");
        var headers = ParseHeaders(storeSettings?["additionalHeaders"]?.GetValue<string>());
        var body = storeSettings?["requestBody"]?.GetValue<string>();
        TimeSpan? timeout = storeSettings?["requestTimeout"]?.GetValue<string>() is { Length: > 0 } text
            ? TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var t) && t > TimeSpan.Zero ? t
                : throw new DataStoreException(ErrorCodes.InvalidProperty, $"storeSettings.requestTimeout '{text}' is not a time span such as 00:01:40.")
            : null;
        return new SourceFile(uri.GetLeftPart(UriPartial.Path), async ct =>
        {
            var client = CreateClient(timeout);
            try
            {
                var response = await SendAsync(client, new Request(new HttpMethod(method), uri, headers, body), ct);
                return new ResponseStream(await response.Content.ReadAsStreamAsync(ct), response, client);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        });
    }

    private Uri BaseUri()
    {
        var url = settings.RequiredString("url");
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new DataStoreException(ErrorCodes.InvalidProperty, $"typeProperties.url '{url}' is not an absolute http(s) URL.");
    }

    private static List<(string, string)> ParseHeaders(string? text)
    {
        var headers = new List<(string, string)>();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw new DataStoreException(ErrorCodes.InvalidProperty, $"storeSettings.additionalHeaders line '{line}' is not 'Name: value'.");
            headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
        }
        return headers;
    }

    /// <summary>What is sent: the method, the URL, the user's additional headers and body.</summary>
    private sealed record Request(HttpMethod Method, Uri Uri, IReadOnlyList<(string Name, string Value)> Headers, string? Body);

    /// <summary>
    /// Sends, following up to <see cref="MaxRedirects"/> redirects itself so that every hop is judged as the first was:
    /// a direct connection by the address it connects to, a hop through the proxy by its host's name. The linked
    /// service's credentials and the user's credential headers go only to the origin of the URL they were given for; a
    /// redirect from https to http is refused, not followed. A failure to connect or an error status becomes a
    /// DataStoreException that says which.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpClient client, Request first, CancellationToken ct)
    {
        var request = first;
        for (var hops = 0; ; hops++)
        {
            var response = await SendOnceAsync(client, request, SameOrigin(request.Uri, first.Uri), ct);
            if (RedirectTarget(response, request.Uri) is not { } target)
            {
                if ((int)response.StatusCode is >= 300 and < 400)
                {
                    response.Dispose();
                    throw new DataStoreException(ErrorCodes.DataStoreError,
                        $"{request.Uri.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase} without a Location to follow.");
                }
                return response;
            }
            response.Dispose();
            if (hops == MaxRedirects)
                throw new DataStoreException(ErrorCodes.DataStoreError,
                    $"{first.Uri.GetLeftPart(UriPartial.Path)} redirected more than {MaxRedirects} times; the last hop was to {target.GetLeftPart(UriPartial.Path)}.");
            if (target.Scheme is not ("http" or "https"))
                throw new DataStoreException(ErrorCodes.DataStoreError,
                    $"{request.Uri.GetLeftPart(UriPartial.Path)} redirected to '{target}', which is not an http(s) URL; it is not followed.");
            if (request.Uri.Scheme == "https" && target.Scheme == "http")
                throw new DataStoreException(ErrorCodes.DataStoreError,
                    $"{request.Uri.GetLeftPart(UriPartial.Path)} redirected from https to {target.GetLeftPart(UriPartial.Path)}, which is not encrypted; " +
                    "it is not followed. Give the linked service the URL it should use.");
            // 303, and 301/302 after a POST, turn into a GET without the body (as browsers and .NET do); 307 and 308 keep both.
            var status = (int)response.StatusCode;
            request = status == 303 || (status is 301 or 302 && request.Method == HttpMethod.Post)
                ? request with { Method = HttpMethod.Get, Uri = target, Body = null }
                : request with { Uri = target };
        }
    }

    private static Uri? RedirectTarget(HttpResponseMessage response, Uri from) =>
        (int)response.StatusCode is 301 or 302 or 303 or 307 or 308 && response.Headers.Location is { } location
            ? location.IsAbsoluteUri ? location : new Uri(from, location)
            : null;

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme == b.Scheme && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;

    private static readonly string[] CredentialHeaders = ["Authorization", "Cookie", "Proxy-Authorization"];

    private async Task<HttpResponseMessage> SendOnceAsync(HttpClient client, Request message, bool withCredentials, CancellationToken ct)
    {
        var uri = message.Uri;
        using var request = new HttpRequestMessage(message.Method, uri);
        foreach (var (name, value) in message.Headers)
        {
            if (!withCredentials && CredentialHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
                continue;
            if (!request.Headers.TryAddWithoutValidation(name, value))
                (request.Content ??= new StringContent(message.Body ?? "")).Headers.TryAddWithoutValidation(name, value);
        }
        if (message.Body is not null && request.Content is null)
            request.Content = new StringContent(message.Body, Encoding.UTF8);
        if (withCredentials && string.Equals(settings.String("authenticationType"), "Basic", StringComparison.OrdinalIgnoreCase))
        {
            var user = settings.String("userName") ?? "";
            var password = settings.Secret("password") ?? "";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
        if (ProxyFor(uri) is not null)
            LocalMachineGuard.CheckThroughProxy(context.Policy, uri.Host);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e) when (Find<DataStoreException>(e) is { } policy)
        {
            throw policy;
        }
        catch (HttpRequestException e)
        {
            throw Classify(e, uri);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DataStoreException(ErrorCodes.ConnectionFailed, $"{uri.Host}:{uri.Port} did not answer within {client.Timeout.TotalSeconds:F0} s.", e);
        }
        var status = (int)response.StatusCode;
        if (status < 400)
            return response;
        response.Dispose();
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new DataStoreException(ErrorCodes.AuthenticationFailed,
                $"authentication rejected: {uri.GetLeftPart(UriPartial.Path)} answered 401; check the user name and password."),
            HttpStatusCode.Forbidden => new DataStoreException(ErrorCodes.PermissionDenied, $"permission denied: {uri.GetLeftPart(UriPartial.Path)} answered 403."),
            HttpStatusCode.NotFound => new DataStoreException(ErrorCodes.PathNotFound, $"{uri.GetLeftPart(UriPartial.Path)} answered 404 Not Found; check location.relativeUrl."),
            _ => new DataStoreException(ErrorCodes.DataStoreError, $"{uri.GetLeftPart(UriPartial.Path)} answered {status} {response.ReasonPhrase}."),
        };
    }

    /// <summary>A response body that, when the copy is done with it, lets go of its response and client too.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response, HttpClient client) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
                client.Dispose();
            }
            base.Dispose(disposing);
        }
    }

    private Uri? ProxyFor(Uri target) =>
        context.HttpDataStoreProxy is { } proxy && !proxy.IsBypassed(target) && proxy.GetProxy(target) is { } via && via != target ? via : null;

    private bool IsProxyConnection(SocketsHttpConnectionContext connection) =>
        connection.InitialRequestMessage.RequestUri is { } target && ProxyFor(target) is { } via
        && string.Equals(via.Host, connection.DnsEndPoint.Host, StringComparison.OrdinalIgnoreCase) && via.Port == connection.DnsEndPoint.Port;

    private HttpClient CreateClient(TimeSpan? timeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AllowAutoRedirect = false, // followed by SendAsync, hop by hop
            // Data-store connections do not use the node's proxy (as in the reference), unless its user let HTTP ones.
            UseProxy = context.HttpDataStoreProxy is not null,
            Proxy = context.HttpDataStoreProxy,
            ConnectCallback = async (connectContext, ct) =>
            {
                // The proxy the node's user set is reached as it is; the data store behind it was judged by name before sending.
                var addresses = IsProxyConnection(connectContext)
                    ? await Dns.GetHostAddressesAsync(connectContext.DnsEndPoint.Host, ct)
                    : await LocalMachineGuard.ResolveAsync(context.Policy, connectContext.DnsEndPoint.Host, ct);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(addresses, connectContext.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (settings.Bool("enableServerCertificateValidation") == false)
        {
            // The user turned validation off on this linked service (ADF's enableServerCertificateValidation: false).
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        // The time to get an answer (its headers), not to read its body: ADF's requestTimeout, 100 s unless the source says.
        return new HttpClient(handler) { Timeout = timeout ?? TimeSpan.FromSeconds(100) };
    }

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found)
                return found;
        }
        return null;
    }

    private static DataStoreException Classify(HttpRequestException e, Uri uri)
    {
        var endpoint = $"{uri.Host}:{uri.Port}";
        if (Find<SocketException>(e) is { } socket)
        {
            return socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => new DataStoreException(ErrorCodes.ConnectionRefused, $"connection refused: nothing accepts connections at {endpoint}.", e),
                SocketError.HostNotFound or SocketError.NoData => new DataStoreException(ErrorCodes.NameNotResolved, $"name not resolved: '{uri.Host}'.", e),
                _ => new DataStoreException(ErrorCodes.ConnectionFailed, $"cannot connect to {endpoint}: {socket.SocketErrorCode}.", e),
            };
        }
        if (Find<AuthenticationException>(e) is { } tls)
            return new DataStoreException(ErrorCodes.TlsFailed, $"TLS failure with {endpoint}: {tls.Message}", e);
        return new DataStoreException(ErrorCodes.ConnectionFailed, $"cannot reach {endpoint}: {e.Message}", e);
    }
}
