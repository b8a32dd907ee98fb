namespace EdgeCompress.Compression.Search;

/// <summary>One pass of a recipe: the pass name (as in <see cref="Passes.ICompressionPass.Name"/>) and its settings.</summary>
/// <param name="Pass">e.g. "quantize-static", "prune-channels", "factorize".</param>
/// <param name="Settings">Settings as text, e.g. {"scheme":"S8S8"}.</param>
public sealed record RecipeStep(string Pass, IReadOnlyDictionary<string, string> Settings);

/// <summary>A candidate to build: an id, its passes in order, and why the search tries it on this profile.</summary>
/// <param name="Id">Short id used for the file name and in the manifest, e.g. "prune-0.5+int8".</param>
/// <param name="Steps">Passes in order.</param>
/// <param name="Why">The profile facts that led to this candidate and its settings.</param>
public sealed record Recipe(string Id, IReadOnlyList<RecipeStep> Steps, string Why);

/// <summary>Builds <see cref="Passes.ICompressionPass"/> instances by name; the CLI registers every pass it has.</summary>
public interface IPassCatalog
{
    /// <summary>True when the catalog can build the named pass.</summary>
    bool Has(string pass);

    /// <summary>Builds a pass with its settings. <paramref name="context"/> gives data and the baseline model path
    /// for passes that calibrate or fine-tune.</summary>
    Passes.ICompressionPass Create(RecipeStep step, PassContext context);
}

/// <summary>What passes may need beyond their settings.</summary>
/// <param name="BaselinePath">The uncompressed model (teacher for fine-tuning).</param>
/// <param name="CalibrationSpec">Data SPEC for calibration (a train split, never the evaluation data).</param>
/// <param name="FineTuneSpec">Data SPEC for fine-tuning, or null when training is unavailable.</param>
/// <param name="Preprocess">How image-folder data becomes tensors (null: the folder's preprocess.json or defaults).</param>
public sealed record PassContext(string BaselinePath, string? CalibrationSpec, string? FineTuneSpec, Data.Preprocess? Preprocess = null)
{
    /// <summary>Parses one of the context's specs with its preprocessing.</summary>
    public Data.DataSpec Spec(string text) => Data.DataSpec.Parse(text, Preprocess);
}
