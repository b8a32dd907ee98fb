namespace EdgeCompress.Data;

/// <summary>How a data folder holds its samples.</summary>
internal enum FolderLayout
{
    /// <summary>ONNX test_data_set_N/input_K.pb (or input_K.pb directly).</summary>
    PbTensors,

    /// <summary>Images directly in the folder (labels only from labels.csv).</summary>
    FlatImages,

    /// <summary>One subfolder of images per class.</summary>
    ClassFolders,

    /// <summary>.npy or .npz files directly in the folder.</summary>
    NumpyFiles,

    /// <summary>One subfolder per sample holding INPUTNAME.npy files.</summary>
    NumpySampleFolders,
}

/// <summary>One sample (or batch) file of a data folder, or a per-sample subfolder.</summary>
/// <param name="Name">Path relative to the data folder, '/'-separated: the key labels.csv uses.</param>
/// <param name="Path">Full path.</param>
/// <param name="Label">Class index, or null when the folder is unlabelled.</param>
internal sealed record DataEntry(string Name, string Path, int? Label);

/// <summary>
/// A data folder: what it holds (detected from its first entries, without listing everything) and, on demand, its
/// entries sorted ordinally by relative path with their labels. Class folders are labelled by the sorted folder
/// names (class index = position) or by labels.txt; a labels.csv labels any layout and takes precedence.
/// </summary>
internal sealed class DataFolder
{
    private DataFolder(string path, FolderLayout layout)
    {
        Path = path;
        Layout = layout;
        LabelsCsv = File.Exists(System.IO.Path.Combine(path, LabelFiles.CsvFile)) ? System.IO.Path.Combine(path, LabelFiles.CsvFile) : null;
        var txt = System.IO.Path.Combine(path, LabelFiles.ClassNamesFile);
        ClassNamesFile = File.Exists(txt) ? txt : null;
    }

    public string Path { get; }

    public FolderLayout Layout { get; }

    /// <summary>labels.csv, when the folder has one.</summary>
    public string? LabelsCsv { get; }

    /// <summary>labels.txt, when the folder has one.</summary>
    public string? ClassNamesFile { get; }

    /// <summary>True when every entry gets a class label.</summary>
    public bool IsLabelled => LabelsCsv is not null || Layout == FolderLayout.ClassFolders;

    /// <summary>Looks at a folder; throws <see cref="DataException"/> when it holds nothing a SPEC can read.</summary>
    public static DataFolder Open(string path, string specText)
    {
        if (Directory.EnumerateFiles(path, "input_*.pb").Any() || Directory.EnumerateDirectories(path, "test_data_set_*").Any())
        {
            return new DataFolder(path, FolderLayout.PbTensors);
        }
        var top = Directory.EnumerateFiles(path).FirstOrDefault(f => IsNumpy(f) || ImageDecoder.IsImage(f));
        if (top is not null)
        {
            return new DataFolder(path, IsNumpy(top) ? FolderLayout.NumpyFiles : FolderLayout.FlatImages);
        }
        foreach (var dir in Directory.EnumerateDirectories(path).Order(StringComparer.Ordinal))
        {
            if (Directory.EnumerateFiles(dir, "*.npy").Any())
            {
                return new DataFolder(path, FolderLayout.NumpySampleFolders);
            }
            if (Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Any(ImageDecoder.IsImage))
            {
                return new DataFolder(path, FolderLayout.ClassFolders);
            }
        }
        throw new DataException(
            $"data spec '{specText}': {path} holds no images ({string.Join(" ", ImageDecoder.Extensions)}), class folders of images, .npy/.npz files or test_data_set_N folders");
    }

    /// <summary>Class names: labels.txt when present, else the class folders' names in ordinal order, else null.</summary>
    public IReadOnlyList<string>? ClassNames() =>
        ClassNamesFile is not null ? LabelFiles.ReadClassNames(ClassNamesFile)
        : Layout == FolderLayout.ClassFolders ? ClassDirectories().Select(d => System.IO.Path.GetFileName(d)).ToArray()
        : null;

    /// <summary>
    /// Every entry, sorted ordinally by relative path, labelled when the folder is. Lists names only (nothing is
    /// read but the label files). Throws <see cref="DataException"/> for a class folder missing from labels.txt or a
    /// file without a row in labels.csv (unless <paramref name="labelsOptional"/>: .npy/.npz files that hold batches
    /// are labelled per row, "FILE#ROW", by their reader).
    /// </summary>
    public IReadOnlyList<DataEntry> Entries(bool labelsOptional = false)
    {
        var names = ClassNames();
        var csv = LabelsCsv is null ? null : LabelFiles.ReadCsv(LabelsCsv, names);
        var entries = new List<DataEntry>();
        switch (Layout)
        {
            case FolderLayout.FlatImages:
                entries.AddRange(Directory.EnumerateFiles(Path).Where(ImageDecoder.IsImage).Select(f => Entry(f, null)));
                break;
            case FolderLayout.NumpyFiles:
                entries.AddRange(Directory.EnumerateFiles(Path).Where(IsNumpy).Select(f => Entry(f, null)));
                break;
            case FolderLayout.NumpySampleFolders:
                entries.AddRange(Directory.EnumerateDirectories(Path).Where(d => Directory.EnumerateFiles(d, "*.npy").Any()).Select(d => Entry(d, null)));
                break;
            case FolderLayout.ClassFolders:
                var index = names!.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
                foreach (var dir in ClassDirectories())
                {
                    var name = System.IO.Path.GetFileName(dir);
                    if (!index.TryGetValue(name, out var label))
                    {
                        throw new DataException($"{dir}: class folder '{name}' is not listed in {ClassNamesFile}");
                    }
                    entries.AddRange(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(ImageDecoder.IsImage).Select(f => Entry(f, label)));
                }
                break;
            default:
                throw new InvalidOperationException($"{Layout} folders are listed by their own reader");
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        if (csv is null)
        {
            return entries;
        }
        return entries.Select(e => e with
        {
            Label = csv.TryGetValue(e.Name, out var l) ? l
                : labelsOptional ? null
                : throw new DataException($"{e.Path}: has no label in {LabelsCsv} (add a row '{e.Name},LABEL')"),
        }).ToArray();
    }

    /// <summary>The label labels.csv gives a key, or null when the folder has no labels.csv. Throws when the key is
    /// missing.</summary>
    public Func<string, int?> CsvLookup()
    {
        if (LabelsCsv is null)
        {
            return _ => null;
        }
        var csv = LabelFiles.ReadCsv(LabelsCsv, ClassNamesFile is null ? null : LabelFiles.ReadClassNames(ClassNamesFile));
        return key => csv.TryGetValue(key, out var l) ? l
            : throw new DataException($"{System.IO.Path.Combine(Path, key.Split('#')[0])}: has no label for '{key}' in {LabelsCsv}");
    }

    private IEnumerable<string> ClassDirectories() =>
        Directory.EnumerateDirectories(Path).Order(StringComparer.Ordinal)
            .Where(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Any(ImageDecoder.IsImage));

    private DataEntry Entry(string full, int? label) =>
        new(System.IO.Path.GetRelativePath(Path, full).Replace('\\', '/'), full, label);

    private static bool IsNumpy(string f) =>
        f.EndsWith(".npy", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".npz", StringComparison.OrdinalIgnoreCase);
}
