namespace EdgeCompress.Compression.Search;

/// <summary>A candidate to build: an id, its passes in order, and why the search tries it on this profile.</summary>
/// <param name="Id">Short id used for the file name and in the manifest, e.g. "prune-0.5+int8".</param>
/// <param name="Steps">Passes in order, with their typed settings.</param>
/// <param name="Why">The profile facts that led to this candidate and its settings.</param>
public sealed record Recipe(string Id, IReadOnlyList<PassStep> Steps, string Why)
{
    /// <summary>The recipe with every step's profile-dependent settings filled from <paramref name="profile"/>.</summary>
    public Recipe ForProfile(Profiles.DeviceProfile? profile) => this with { Steps = [.. Steps.Select(s => s.ForProfile(profile))] };
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
