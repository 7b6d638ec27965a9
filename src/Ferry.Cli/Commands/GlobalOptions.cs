using System.CommandLine;
using Ferry.Cli.Connection;
using Ferry.Cli.Output;

namespace Ferry.Cli.Commands;

/// <summary>The options every command takes: where the server is, the token, the factory and the output format.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Server { get; } = new("--server") { Description = "The server's URL (else FERRY_SERVER, else the config file, else http://127.0.0.1:8080)", Recursive = true };
    public Option<string?> Token { get; } = new("--token") { Description = "The API token (else FERRY_TOKEN, else the config file)", Recursive = true };
    public Option<string?> Factory { get; } = new("--factory") { Description = "The factory (else FERRY_FACTORY, else the config file, else 'default')", Recursive = true };
    public Option<string> Output { get; } = new("--output", "-o") { Description = "json (default) or table", Recursive = true, DefaultValueFactory = _ => "json" };

    public GlobalOptions() => Output.AcceptOnlyFromAmong("json", "table");

    public void AddTo(Command root)
    {
        root.Options.Add(Server);
        root.Options.Add(Token);
        root.Options.Add(Factory);
        root.Options.Add(Output);
    }

    /// <summary>Runs a command against the API: prints its answer, or its error on stderr with exit code 1.</summary>
    public Task<int> RunAsync(ParseResult parse, Func<ApiClient, CancellationToken, Task<System.Text.Json.Nodes.JsonNode?>> call, CancellationToken ct) =>
        RunWithExitCodeAsync(parse, async (api, output, c) =>
        {
            output.Write(await call(api, c));
            return 0;
        }, ct);

    /// <summary>Runs a command that prints for itself and decides its exit code (`ferry pipeline run --wait`); errors as above.</summary>
    public async Task<int> RunWithExitCodeAsync(ParseResult parse, Func<ApiClient, OutputWriter, CancellationToken, Task<int>> call, CancellationToken ct)
    {
        try
        {
            using var api = new ApiClient(ClientSettings.Resolve(parse.GetValue(Server), parse.GetValue(Token), parse.GetValue(Factory)));
            return await call(api, new OutputWriter(Console.Out, parse.GetValue(Output) == "table"), ct);
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
