using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Cli.Connection;

namespace Ferry.Cli.Commands;

/// <summary>`ferry linked-service ...` and `ferry dataset ...`: create from an ADF JSON file, show, list, delete.</summary>
public static class FactoryResourceCommands
{
    public static Command Build(GlobalOptions g, string verb, string pathSegment, string noun)
    {
        var command = new Command(verb, $"Manage {noun}s (ADF's JSON)");
        var name = new Option<string>("--name", "-n") { Description = $"The {noun}'s name", Required = true };
        string PathOf(ApiClient api, string? n = null) =>
            $"/factories/{Uri.EscapeDataString(api.Factory)}/{pathSegment}" + (n is null ? "" : "/" + Uri.EscapeDataString(n));

        var file = new Option<FileInfo>("--file", "-f") { Description = $"A JSON file holding the {noun}: {{\"properties\": {{...}}}} as in ADF", Required = true };
        var create = new Command("create", $"Create or replace a {noun} from a JSON file") { name, file };
        create.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
        {
            var document = ReadDocument(p.GetValue(file)!);
            if (pathSegment == "linkedservices")
                await SecretSealing.SealAsync(api, document, c);
            return await api.SendAsync(HttpMethod.Put, PathOf(api, p.GetValue(name)), document, c);
        }, ct));
        command.Subcommands.Add(create);

        var show = new Command("show", $"Show a {noun}") { name };
        show.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Get, PathOf(api, p.GetValue(name)), null, c), ct));
        command.Subcommands.Add(show);

        var list = new Command("list", $"List the factory's {noun}s");
        list.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Get, PathOf(api), null, c), ct));
        command.Subcommands.Add(list);

        var delete = new Command("delete", $"Delete a {noun}") { name };
        delete.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
        {
            await api.SendAsync(HttpMethod.Delete, PathOf(api, p.GetValue(name)), null, c);
            return null;
        }, ct));
        command.Subcommands.Add(delete);
        return command;
    }

    private static JsonNode ReadDocument(FileInfo file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot read {file.FullName}: {e.Message}");
        }
        try
        {
            return JsonNode.Parse(text) ?? throw new CliException($"{file.FullName} is empty; it must hold a JSON object with \"properties\".");
        }
        catch (JsonException e)
        {
            throw new CliException($"{file.FullName} is not valid JSON (line {(e.LineNumber ?? 0) + 1}): {e.Message}");
        }
    }
}
