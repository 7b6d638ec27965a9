using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>
/// A real HTTP listener for a data store's side of a test: each request is answered with the (status, Location, body)
/// the test gives for it, and its path is kept.
/// </summary>
public sealed class WebServer : IDisposable
{
    private readonly HttpListener _listener = new();

    public WebServer(string address, Func<string, (int Status, string? Location, string Body)> answer)
    {
        Url = $"http://{address}:{FerryServer.FreePort()}/";
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
                var path = context.Request.Url!.AbsolutePath;
                Requests.Enqueue(path);
                var (status, location, body) = answer(path);
                context.Response.StatusCode = status;
                if (location is not null)
                    context.Response.RedirectLocation = location;
                await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(body));
                context.Response.Close();
            }
        });
    }

    /// <summary>The base URL, ending in a slash.</summary>
    public string Url { get; }

    /// <summary>The paths asked for, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public void Dispose() => _listener.Close();
}
