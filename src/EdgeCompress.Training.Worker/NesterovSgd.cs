using EdgeCompress.Training.Worker.Graph;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EdgeCompress.Training.Worker;

/// <summary>
/// SGD with Nesterov momentum and L2 weight decay, computed as torch.optim.SGD does (g = grad + wd*p; buf = g on the
/// first step, then m*buf + g; p -= lr*(g + m*buf)). Written here instead of using TorchSharp's SGD because that one
/// hands libtorch finalizer-owned Scalars for every parameter on every step (see <see cref="ScalarMath"/>).
/// </summary>
internal sealed class NesterovSgd
{
    private const int FormatVersion = 1;
    private readonly Parameter[] _parameters;
    private readonly Tensor?[] _buffers;
    private readonly double _momentum;
    private readonly double _weightDecay;

    public NesterovSgd(IEnumerable<Parameter> parameters, double learningRate, double momentum, double weightDecay)
    {
        _parameters = [.. parameters];
        _buffers = new Tensor?[_parameters.Length];
        LearningRate = learningRate;
        _momentum = momentum;
        _weightDecay = weightDecay;
    }

    public double LearningRate { get; set; }

    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            using var grad = p.grad;
            grad?.zero_();
        }
    }

    public void Step()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var momentum = _momentum.ToScalar();
        using var decay = _weightDecay.ToScalar();
        using var descent = (-LearningRate).ToScalar();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var grad = p.grad;
            if (grad is null)
            {
                continue;
            }
            var g = _weightDecay == 0 ? grad : grad.add(p, decay);
            if (_buffers[i] is { } buffer)
            {
                buffer.mul_(momentum).add_(g, ScalarMath.One);
            }
            else
            {
                _buffers[i] = g.clone().DetachFromDisposeScope();
            }
            p.add_(g.add(_buffers[i]!, momentum), descent);
        }
    }

    /// <summary>Writes the momentum buffers (one per parameter, in order; a parameter never stepped has none).</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(FormatVersion);
        writer.Write(_buffers.Length);
        foreach (var b in _buffers)
        {
            writer.Write(b is not null);
            b?.Save(writer);
        }
    }

    public void Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new TrainingInputException($"{path}: the checkpoint has no momentum file (it was written by an older edgec); delete the checkpoint to start over");
        }
        using var reader = new BinaryReader(File.OpenRead(path));
        var version = reader.ReadInt32();
        var count = reader.ReadInt32();
        if (version != FormatVersion || count != _parameters.Length)
        {
            throw new TrainingInputException($"{path}: momentum for {count} tensors (format {version}), this model trains {_parameters.Length}; delete the checkpoint to start over");
        }
        for (var i = 0; i < count; i++)
        {
            if (!reader.ReadBoolean())
            {
                continue;
            }
            var b = TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
            if (!b.shape.SequenceEqual(_parameters[i].shape))
            {
                throw new TrainingInputException($"{path}: momentum tensor {i} has shape [{string.Join(',', b.shape)}], the parameter [{string.Join(',', _parameters[i].shape)}]; delete the checkpoint to start over");
            }
            _buffers[i]?.Dispose();
            _buffers[i] = b;
        }
    }
}
