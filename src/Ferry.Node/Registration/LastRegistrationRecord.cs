using System.Text.Json;
using Ferry.Node.Hosting;

namespace Ferry.Node.Registration;

/// <summary>
/// The last registration the server refused (a wrong or regenerated key), kept in the data dir so that dmgcmd
/// -Diagnose can name the cause afterwards; removed when a registration succeeds. It holds no key.
/// </summary>
public sealed record LastRegistrationRecord(DateTimeOffset At, string ServerUrl, string Code, string Message)
{
    private static string PathIn(NodeDataDirectory dir) => System.IO.Path.Combine(dir.Path, "last-registration.json");

    public static LastRegistrationRecord? Load(NodeDataDirectory dir)
    {
        try
        {
            return File.Exists(PathIn(dir)) ? JsonSerializer.Deserialize(File.ReadAllBytes(PathIn(dir)), NodeJsonContext.Default.LastRegistrationRecord) : null;
        }
        catch (JsonException)
        {
            return null; // a damaged record says nothing
        }
    }

    public void Save(NodeDataDirectory dir)
    {
        dir.Create();
        var temporary = PathIn(dir) + ".tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(this, NodeJsonContext.Default.LastRegistrationRecord));
        File.Move(temporary, PathIn(dir), overwrite: true);
    }

    public static void Clear(NodeDataDirectory dir) => File.Delete(PathIn(dir));
}
