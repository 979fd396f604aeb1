namespace MLNet.Distillation.Tests;

public class AtomicFileTests
{
    [Fact]
    public void AFileWrittenAtomicallyHasTheBytesAndNoTemporaryFileBesideIt()
    {
        using var folder = new TempFolder();
        AtomicFile.WriteAllBytes(folder.File("a.bin"), [1, 2, 3]);
        Assert.Equal([1, 2, 3], File.ReadAllBytes(folder.File("a.bin")));
        Assert.Equal(["a.bin"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void AFolderThatCannotBeCreatedIsNamedWithWhatToDoBeforeAnythingIsWritten()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("file"), "");
        var path = folder.File(Path.Combine("file", "sub", "out.bin"));
        bool wrote = false;
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, _ => wrote = true, "Pick another folder."));
        Assert.StartsWith($"Cannot write '{path}': ", e.Message);
        Assert.EndsWith("Pick another folder.", e.Message);
        Assert.False(wrote);
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporaryFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("a.txt");
        File.WriteAllText(path, "old");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new InvalidOperationException("boom"); }));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["a.txt"], Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }
}
