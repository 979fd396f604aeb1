using System.Text.Json;

namespace MLNet.Distillation.Samples.Tasks;

/// <summary>One teacher of a task: its ONNX file, output name and role ("tough"/"tolerant" for the two-teacher task).</summary>
sealed record TeacherFile(string Path, string Output, string? Role, string Architecture);

/// <summary>
/// A task folder made by tools/make_task_data.py (suite-data/tasks/&lt;name&gt;/, or a committed fixture folder):
/// train/valid/test CSV files ([GroupId,] label columns, F0..F{n-1}), the teacher ONNX files and task.json.
/// </summary>
sealed class TaskFolder
{
    private TaskFolder(string directory, JsonElement json)
    {
        Directory = directory;
        Name = json.GetProperty("name").GetString()!;
        Kind = json.GetProperty("kind").GetString()!;
        Description = json.GetProperty("description").GetString()!;
        Features = json.GetProperty("features").GetInt32();
        Labels = json.GetProperty("labels").GetInt32();
        Grouped = json.GetProperty("group_column").ValueKind == JsonValueKind.String;
        StudentHiddenLayers = json.GetProperty("student_hidden_layers").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Teachers = json.GetProperty("teachers").EnumerateArray().Select(t => new TeacherFile(
            System.IO.Path.Combine(directory, t.GetProperty("file").GetString()!),
            t.GetProperty("output").GetString()!,
            t.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String ? role.GetString() : null,
            t.GetProperty("architecture").GetString()!)).ToArray();
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }
    /// <summary>Task name (pima, boston, ...).</summary>
    public string Name { get; }
    /// <summary>binary, regression or ranking.</summary>
    public string Kind { get; }
    /// <summary>One line about the data.</summary>
    public string Description { get; }
    /// <summary>Feature columns F0..F{n-1}.</summary>
    public int Features { get; }
    /// <summary>Label columns: 1 ("Label") or k ("L0".."L{k-1}").</summary>
    public int Labels { get; }
    /// <summary>Whether the first column is GroupId (ranking).</summary>
    public bool Grouped { get; }
    /// <summary>The student's hidden widths chosen for the task.</summary>
    public int[] StudentHiddenLayers { get; }
    /// <summary>The teachers, in task.json's order.</summary>
    public IReadOnlyList<TeacherFile> Teachers { get; }

    /// <summary>The main teacher: the one named teacher.onnx, or for the two-teacher task the tough one.</summary>
    public TeacherFile Teacher => Teachers.FirstOrDefault(t => t.Role == "tough") ?? Teachers[0];

    /// <summary>The teacher of a role ("tough", "tolerant").</summary>
    public TeacherFile TeacherOf(string role) => Teachers.FirstOrDefault(t => t.Role == role)
        ?? throw new InvalidOperationException($"Task '{Name}' in {Directory} has no '{role}' teacher; its teachers: {string.Join(", ", Teachers.Select(t => System.IO.Path.GetFileName(t.Path)))}.");

    /// <summary>Path of a split's CSV file ("train", "valid", "test").</summary>
    public string Csv(string split) => System.IO.Path.Combine(Directory, split + ".csv");

    /// <summary>Index of the first feature column.</summary>
    public int FirstFeature => (Grouped ? 1 : 0) + Labels;

    /// <summary>Index of the first label column.</summary>
    public int FirstLabel => Grouped ? 1 : 0;

    /// <summary>Reads task.json of <paramref name="directory"/>.</summary>
    public static TaskFolder Open(string directory)
    {
        var file = System.IO.Path.Combine(directory, "task.json");
        if (!File.Exists(file))
            throw new FileNotFoundException($"No task.json in '{directory}'. Make the tasks with `/usr/bin/python3 tools/make_task_data.py` (suite-data/tasks/) or use the committed fixtures.", file);
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        return new TaskFolder(directory, doc.RootElement.Clone());
    }
}
