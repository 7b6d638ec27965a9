using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ferry.Cli.Connection;

/// <summary>
/// Where the CLI finds its server, token and factory: flags, else FERRY_SERVER / FERRY_TOKEN / FERRY_FACTORY, else the
/// config file (~/.config/ferry/config.json: {"server": ..., "token": ..., "factory": ...}), else the defaults.
/// </summary>
public sealed record ClientSettings(string Server, string? Token, string Factory)
{
    public const string DefaultServer = "http://127.0.0.1:8080";

    public static string ConfigPath =>
        Environment.GetEnvironmentVariable("FERRY_CONFIG") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "ferry", "config.json");

    public static ClientSettings Resolve(string? server, string? token, string? factory)
    {
        var file = ReadConfig();
        return new ClientSettings(
            (server ?? Env("FERRY_SERVER") ?? file?["server"]?.GetValue<string>() ?? DefaultServer).TrimEnd('/'),
            token ?? Env("FERRY_TOKEN") ?? file?["token"]?.GetValue<string>(),
            factory ?? Env("FERRY_FACTORY") ?? file?["factory"]?.GetValue<string>() ?? "default");
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    private static JsonObject? ReadConfig()
    {
        if (!File.Exists(ConfigPath))
            return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(ConfigPath)) as JsonObject
                   ?? throw new CliException($"The config file {ConfigPath} must hold a JSON object like {{\"server\": \"...\", \"token\": \"...\"}}.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new CliException($"The config file {ConfigPath} is not valid JSON ({e.Message}). Fix or delete it.");
        }
    }
}
