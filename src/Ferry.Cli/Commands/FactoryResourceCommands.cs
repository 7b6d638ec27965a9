using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Cli.Connection;

namespace Ferry.Cli.Commands;

/// <summary>`ferry linked-service ...`, `ferry dataset ...` and `ferry pipeline ...`: create from an ADF JSON file, show, list, delete, and each kind's own verbs.</summary>
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

        // Interactive authoring: run on a node of the linked service's runtime, through the relay.
        Command Interactive(string verb, string operation, string description, Option[] extra, Func<ParseResult, JsonObject?> body)
        {
            var sub = new Command(verb, description) { name };
            foreach (var option in extra)
                sub.Options.Add(option);
            sub.SetAction((p, ct) => g.RunAsync(p, (api, c) => api.SendAsync(HttpMethod.Post, PathOf(api, p.GetValue(name)) + "/" + operation, body(p), c), ct));
            return sub;
        }
        if (pathSegment is "linkedservices" or "datasets")
            command.Subcommands.Add(Interactive("test-connection", "testConnection", $"Test the {noun}'s connection from a node of its runtime", [], _ => null));
        if (pathSegment == "linkedservices")
        {
            var nodeUrl = new Option<string?>("--node") { Description = "A node's remote access URL (https://host:8060): seal on that node, without the control plane" };
            var nodeToken = new Option<string?>("--node-token") { Description = "The node's remote access token (printed by dmgcmd -EnableRemoteAccess)" };
            var nodeCertificate = new Option<string?>("--node-certificate") { Description = "SHA-256 fingerprint of the node's certificate, to trust a self-signed one" };
            var encrypt = new Command("encrypt-credential",
                "Seal the SecureString secrets of a linked service file and print the document (save it with `create`)") { file, nodeUrl, nodeToken, nodeCertificate };
            encrypt.SetAction((p, ct) => g.RunAsync(p, async (api, c) =>
            {
                var document = ReadDocument(p.GetValue(file)!);
                if (p.GetValue(nodeUrl) is { } node)
                {
                    var token = p.GetValue(nodeToken) ?? throw new CliException("--node needs --node-token: the token dmgcmd -EnableRemoteAccess printed on that node.");
                    using var remote = new NodeRemoteClient(node, token, p.GetValue(nodeCertificate));
                    return await remote.EncryptCredentialAsync(document, c);
                }
                if (document["properties"]?["connectVia"] is null)
                    throw new CliException("the linked service has no connectVia: secrets are sealed to a self-hosted runtime's credential key. Add connectVia.");
                await SecretSealing.SealAsync(api, document, c);
                return document;
            }, ct));
            command.Subcommands.Add(encrypt);

            var path = new Option<string>("--path", "-p") { Description = "A folder under the linked service's root, or a database schema" };
            command.Subcommands.Add(Interactive("browse", "browse", "List folders and files, or schemas and tables, as a node sees them", [path],
                p => p.GetValue(path) is { } value ? new JsonObject { ["path"] = value } : null));
        }
        else if (pathSegment == "datasets")
        {
            var rows = new Option<int>("--rows") { Description = "How many rows to preview (1..1000)", DefaultValueFactory = _ => 10 };
            command.Subcommands.Add(Interactive("schema", "getSchema", "Show the dataset's columns and types, read on a node", [], _ => null));
            command.Subcommands.Add(Interactive("preview", "preview", "Show the dataset's first rows, read on a node", [rows],
                p => new JsonObject { ["rows"] = p.GetValue(rows) }));
        }
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
