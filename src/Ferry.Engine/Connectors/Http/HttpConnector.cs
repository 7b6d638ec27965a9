using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Connectors.Http;

/// <summary>
/// ADF's HttpServer linked service (anonymous or basic). Every connection, including those a redirect opens, is made
/// to an address checked against local machine access at the moment of connecting.
/// </summary>
public sealed class HttpConnector(LinkedServiceSettings settings, EngineContext context)
{
    private const int MaxRedirects = 5;

    public async Task<string> TestConnectionAsync(CancellationToken ct)
    {
        var url = settings.RequiredString("url");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new DataStoreException(ErrorCodes.InvalidProperty, $"typeProperties.url '{url}' is not an absolute http(s) URL.");
        using var client = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (string.Equals(settings.String("authenticationType"), "Basic", StringComparison.OrdinalIgnoreCase))
        {
            var user = settings.String("userName") ?? "";
            var password = settings.Secret("password") ?? "";
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        }
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
        using (response)
        {
            var status = (int)response.StatusCode;
            return response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => throw new DataStoreException(ErrorCodes.AuthenticationFailed,
                    $"authentication rejected: {uri.GetLeftPart(UriPartial.Path)} answered 401; check the user name and password."),
                HttpStatusCode.Forbidden => throw new DataStoreException(ErrorCodes.PermissionDenied, $"permission denied: {uri.GetLeftPart(UriPartial.Path)} answered 403."),
                _ when status >= 400 => throw new DataStoreException(ErrorCodes.DataStoreError,
                    $"{uri.GetLeftPart(UriPartial.Path)} answered {status} {response.ReasonPhrase}."),
                _ => $"{uri.GetLeftPart(UriPartial.Path)} answered {status} {response.ReasonPhrase}.",
            };
        }
    }

    private HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(15),
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = MaxRedirects,
            UseProxy = false, // data-store connections do not use the node's proxy (as in the reference)
            ConnectCallback = async (connectContext, ct) =>
            {
                var addresses = await LocalMachineGuard.ResolveAsync(context.Policy, connectContext.DnsEndPoint.Host, ct);
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
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
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
