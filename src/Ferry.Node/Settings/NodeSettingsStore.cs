using System.Text.Json;
using Ferry.Engine.Access;
using Ferry.Node.Hosting;

namespace Ferry.Node.Settings;

/// <summary>Reads and writes settings.json. The node reads it for every request, so a switch applies without a restart.</summary>
public sealed class NodeSettingsStore(NodeDataDirectory dir)
{
    public string FilePath => Path.Combine(dir.Path, "settings.json");

    public NodeSettings Load()
    {
        if (!File.Exists(FilePath))
            return new NodeSettings();
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(FilePath), NodeJsonContext.Default.NodeSettings) ?? new NodeSettings();
        }
        catch (JsonException e)
        {
            throw new NodeSetupException($"The node settings '{FilePath}' are unreadable ({e.Message}); fix or delete the file (the defaults are the safe ones).");
        }
    }

    public void Save(NodeSettings settings) =>
        OwnerOnlyFile.Write(FilePath, JsonSerializer.SerializeToUtf8Bytes(settings, NodeJsonContext.Default.NodeSettings));

    public NodeAccessPolicy Policy()
    {
        var s = Load();
        return new NodeAccessPolicy(s.LocalFolderPathValidation, s.Folders, s.LocalMachineAccess);
    }
}
