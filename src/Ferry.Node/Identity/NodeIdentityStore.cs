using System.Text.Json;
using Ferry.Node.Hosting;

namespace Ferry.Node.Identity;

/// <summary>Reads and writes the node's identity file: atomically, owner-only, and never half-written.</summary>
public sealed class NodeIdentityStore(NodeDataDirectory dir)
{
    public NodeIdentity? Load()
    {
        if (!File.Exists(dir.IdentityFile))
            return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(dir.IdentityFile), NodeJsonContext.Default.NodeIdentity);
        }
        catch (JsonException e)
        {
            throw new NodeSetupException($"The node identity '{dir.IdentityFile}' is unreadable ({e.Message}). Register again with dmgcmd -RegisterNewNode.");
        }
    }

    public void Save(NodeIdentity identity)
    {
        OwnerOnlyFile.Write(dir.IdentityFile, JsonSerializer.SerializeToUtf8Bytes(identity, NodeJsonContext.Default.NodeIdentity));
        File.Delete(dir.RemovedIdentityFile);
    }

    /// <summary>The server said this node was removed: keep the old identity aside for diagnosis and stop using it.</summary>
    public void MarkRemoved()
    {
        if (File.Exists(dir.IdentityFile))
            File.Move(dir.IdentityFile, dir.RemovedIdentityFile, overwrite: true);
    }

    public NodeIdentity? LoadRemoved()
    {
        try
        {
            return File.Exists(dir.RemovedIdentityFile)
                ? JsonSerializer.Deserialize(File.ReadAllBytes(dir.RemovedIdentityFile), NodeJsonContext.Default.NodeIdentity)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
