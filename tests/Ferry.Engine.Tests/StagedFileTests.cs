using Ferry.Engine.Copy;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Tests;

public sealed class StagedFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private string Target => _folder.Combine("out.csv");

    private string TempFile() => Directory.GetFiles(_folder.Path, ".out.csv.ferry-*.tmp").Single();

    [Fact]
    public void A_file_appears_under_its_name_only_when_committed()
    {
        using (var file = new StagedFile(Target, null))
        {
            file.Stream.Write("a,b\n"u8);
            file.Stream.Flush();
            Assert.False(File.Exists(Target));
            file.Commit(verify: true);
        }
        Assert.Equal("a,b\n", File.ReadAllText(Target));
        Assert.Empty(Directory.GetFiles(_folder.Path, "*.tmp"));
    }

    [Fact]
    public void Without_a_commit_nothing_is_left()
    {
        using (var file = new StagedFile(Target, null))
            file.Stream.Write("partial"u8);
        Assert.Empty(Directory.GetFiles(_folder.Path));
    }

    [Fact]
    public void A_file_that_differs_from_what_was_written_fails_the_consistency_check_and_is_not_committed()
    {
        using var file = new StagedFile(Target, null);
        file.Stream.Write("1,2\n"u8);
        file.Stream.Flush();
        // The disk returns something else (written past .NET's own share lock, as a failing device or another program would).
        using (var shell = System.Diagnostics.Process.Start("sh", ["-c", $"printf '1,3\\n' > '{TempFile()}'"]))
            shell.WaitForExit();

        var e = Assert.Throws<DataStoreException>(() => file.Commit(verify: true));

        Assert.Contains("Data consistency check failed", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Target));
    }

    [Fact]
    public void Temporary_files_of_earlier_attempts_are_removed_by_the_commit()
    {
        File.WriteAllText(_folder.Combine(".out.csv.ferry-0123456789abcdef0123456789abcdef.tmp"), "left by a killed node");
        using (var file = new StagedFile(Target, null))
            file.Commit();
        Assert.Equal(["out.csv"], Directory.GetFiles(_folder.Path).Select(Path.GetFileName));
    }

    public void Dispose() => _folder.Dispose();
}
