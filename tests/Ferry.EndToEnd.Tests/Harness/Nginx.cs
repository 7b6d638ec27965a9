using System.Diagnostics;
using System.Net.Sockets;

namespace Ferry.EndToEnd.Tests.Harness;

/// <summary>
/// nginx from Debian's packages (./scripts/test installs it) as the load balancer in front of several ferry-server
/// instances, configured as docs/high-availability.md tells users to: every request may go to any instance, a dead
/// instance is skipped at once, long polls are allowed to last.
/// </summary>
public sealed class Nginx : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private Nginx(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";

    public static async Task<Nginx> StartAsync(IEnumerable<int> upstreamPorts)
    {
        var binary = new[] { "/usr/sbin/nginx", "/usr/bin/nginx" }.FirstOrDefault(File.Exists)
                     ?? throw new InvalidOperationException("nginx is not installed; run the tests with ./scripts/test, which installs it from Debian's packages.");
        var dir = Directory.CreateTempSubdirectory("ferry-nginx-").FullName;
        var port = FerryServer.FreePort();
        var servers = string.Join("\n", upstreamPorts.Select(p => $"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;"));
        var config = $$"""
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            worker_processes 1;
            daemon off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path {{dir}}/body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                upstream ferry {
            {{servers}}
                }
                map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                server {
                    listen 127.0.0.1:{{port}};
                    client_max_body_size 16m;
                    location / {
                        proxy_pass http://ferry;
                        proxy_http_version 1.1;
                        proxy_set_header Host $http_host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_read_timeout 120s;
                        proxy_connect_timeout 2s;
                        proxy_next_upstream error timeout http_502 http_503;
                        proxy_buffering off;
                    }
                }
            }
            """;
        var file = Path.Combine(dir, "nginx.conf");
        await File.WriteAllTextAsync(file, config);
        var process = Process.Start(new ProcessStartInfo(binary, ["-c", file, "-p", dir]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var nginx = new Nginx(process, dir, port);
        await Commands.EventuallyAsync(async () =>
        {
            if (process.HasExited)
                throw new InvalidOperationException("nginx exited: " + await process.StandardError.ReadToEndAsync() + ReadLog(dir));
            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
                return (true, "");
            }
            catch (SocketException e)
            {
                return (false, e.Message);
            }
        }, TimeSpan.FromSeconds(10), "nginx listening");
        return nginx;
    }

    private static string ReadLog(string dir) => File.Exists(Path.Combine(dir, "error.log")) ? File.ReadAllText(Path.Combine(dir, "error.log")) : "";

    public void Dispose()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
