using System.Net;
using System.Net.Sockets;
using System.Text;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;

namespace Ferry.Engine.Tests;

/// <summary>The HttpServer linked service against a real listener on loopback: basic authentication, refusals and TLS.</summary>
public sealed class HttpConnectorTests : IDisposable
{
    private static readonly NodeAccessPolicy Local = NodeAccessPolicy.Default with { LocalMachineAccess = true };
    private readonly HttpListener _listener = new();
    private readonly string _url;

    public HttpConnectorTests()
    {
        var port = Support.FreePort();
        _url = $"http://127.0.0.1:{port}/";
        _listener.Prefixes.Add(_url);
        _listener.Start();
        _ = ServeAsync();
    }

    private async Task ServeAsync()
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
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("api:right"));
            context.Response.StatusCode = context.Request.Url!.AbsolutePath == "/forbidden" ? 403
                : context.Request.Headers["Authorization"] == expected ? 200 : 401;
            context.Response.Close();
        }
    }

    private static string LinkedService(string url, string? password = null) => Support.Json(new
    {
        type = "HttpServer",
        typeProperties = new
        {
            url, authenticationType = password is null ? "Anonymous" : "Basic", userName = "api",
            password = password is null ? null : new { type = "SecureString", value = password },
        },
    });

    [Fact]
    public async Task Basic_authentication_is_told_right_from_wrong()
    {
        var ok = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(_url, "right"));
        var wrong = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(_url, "wrong"));
        var forbidden = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(_url + "forbidden", "right"));

        Assert.True(ok.Succeeded, ok.Message);
        Assert.Equal(ErrorCodes.AuthenticationFailed, wrong.ErrorCode);
        Assert.DoesNotContain("wrong", wrong.Message!.Replace("authentication rejected", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(ErrorCodes.PermissionDenied, forbidden.ErrorCode);
    }

    [Fact]
    public async Task Localhost_is_refused_while_local_machine_access_is_off()
    {
        var response = await Support.RunAsync(NodeAccessPolicy.Default, InteractiveOperation.TestConnection, LinkedService(_url));
        Assert.Equal(ErrorCodes.LocalMachineAccessDisabled, response.ErrorCode);
    }

    [Fact]
    public async Task Https_to_a_plain_http_port_is_a_tls_failure_and_a_closed_port_is_refused()
    {
        var tls = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService(_url.Replace("http://", "https://", StringComparison.Ordinal)));
        var refused = await Support.RunAsync(Local, InteractiveOperation.TestConnection, LinkedService($"http://127.0.0.1:{Support.FreePort()}/"));

        Assert.Equal(ErrorCodes.TlsFailed, tls.ErrorCode);
        Assert.Equal(ErrorCodes.ConnectionRefused, refused.ErrorCode);
    }

    public void Dispose() => _listener.Close();
}
