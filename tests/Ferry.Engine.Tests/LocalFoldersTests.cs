using Ferry.Contracts.Problems;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;

namespace Ferry.Engine.Tests;

public sealed class LocalFoldersTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly string _root;
    private readonly string _outside;

    public LocalFoldersTests()
    {
        _root = _temp.Combine("allowed");
        _outside = _temp.Combine("secret");
        Directory.CreateDirectory(Path.Combine(_root, "data"));
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "passwd"), "x");
    }

    private NodeAccessPolicy Policy => new(true, [_root], false);

    [Fact]
    public void A_path_under_the_root_resolves()
    {
        Assert.Equal(Path.Combine(_root, "data", "a.csv"), LocalFolders.Resolve(Policy, _root, "data/a.csv"));
    }

    [Theory]
    [InlineData("../secret/passwd")]
    [InlineData("data/../../secret")]
    public void Climbing_out_with_dot_dot_is_refused(string relative)
    {
        var e = Assert.Throws<DataStoreException>(() => LocalFolders.Resolve(Policy, _root, relative));
        Assert.Equal(ErrorCodes.PathNotAllowed, e.Code);
        Assert.Contains("'..'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_absolute_path_is_refused()
    {
        var e = Assert.Throws<DataStoreException>(() => LocalFolders.Resolve(Policy, _root, Path.Combine(_outside, "passwd")));
        Assert.Equal(ErrorCodes.PathNotAllowed, e.Code);
        Assert.Contains("absolute", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symlink_that_leads_outside_the_root_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "data", "escape"), _outside);
        File.CreateSymbolicLink(Path.Combine(_root, "data", "file-escape"), Path.Combine(_outside, "passwd"));

        foreach (var relative in new[] { "data/escape/passwd", "data/escape", "data/file-escape" })
        {
            var e = Assert.Throws<DataStoreException>(() => LocalFolders.Resolve(Policy, _root, relative));
            Assert.Equal(ErrorCodes.PathNotAllowed, e.Code);
            Assert.Contains("symbolic link", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_symlink_that_stays_inside_the_root_is_followed()
    {
        Directory.CreateSymbolicLink(Path.Combine(_root, "shortcut"), Path.Combine(_root, "data"));
        Assert.Equal(Path.Combine(_root, "data", "a.csv"), LocalFolders.Resolve(Policy, _root, "shortcut/a.csv"));
    }

    [Fact]
    public void A_root_outside_the_allowed_folders_is_refused_and_the_fix_is_named()
    {
        var e = Assert.Throws<DataStoreException>(() => LocalFolders.Resolve(Policy, _outside, "passwd"));
        Assert.Equal(ErrorCodes.PathNotAllowed, e.Code);
        Assert.Contains("-AllowLocalFolder", e.Message, StringComparison.Ordinal);

        var none = Assert.Throws<DataStoreException>(() => LocalFolders.Resolve(NodeAccessPolicy.Default, _root, ""));
        Assert.Contains("allows no local folders", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allowed_root_reached_through_a_symlink_is_judged_by_where_it_lands()
    {
        var link = _temp.Combine("link-to-secret");
        Directory.CreateSymbolicLink(link, _outside);
        Assert.Throws<DataStoreException>(() => LocalFolders.Resolve(Policy, link, "passwd"));
    }

    [Fact]
    public void A_sibling_folder_with_the_same_prefix_is_not_under_the_root()
    {
        Directory.CreateDirectory(_root + "-evil");
        Assert.Throws<DataStoreException>(() => LocalFolders.Resolve(Policy, _root + "-evil", ""));
    }

    [Fact]
    public void With_validation_off_anything_goes()
    {
        var off = new NodeAccessPolicy(false, [], false);
        Assert.Equal(Path.Combine(_outside, "passwd"), LocalFolders.Resolve(off, _root, "../secret/passwd"));
    }

    public void Dispose() => _temp.Dispose();
}
