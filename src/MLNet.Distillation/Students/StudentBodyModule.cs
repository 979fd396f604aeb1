using static TorchSharp.torch;

namespace MLNet.Distillation.Students;

/// <summary>
/// The TorchSharp module of a student's body: <c>forward</c> maps the raw input [batch, <see cref="StudentBody.InputSize"/>]
/// (floats) to the features [batch, <see cref="OutputWidth"/>] that the student's hidden layers and head read.
/// </summary>
internal abstract class StudentBodyModule : nn.Module<Tensor, Tensor>
{
    protected StudentBodyModule(string name) : base(name)
    {
    }

    /// <summary>Width of the features the body produces.</summary>
    public abstract int OutputWidth { get; }

    /// <summary>Multiply-adds of one row's forward pass (e.g. Σ over convolutions of C_out·C_in·k²·H_out·W_out): sets the fit's thread count.</summary>
    public abstract long MultiplyAddsPerRow { get; }

    /// <summary>Copies the weights out of TorchSharp, in inference form (e.g. batch normalisation folded into the convolutions).</summary>
    public abstract StudentBody ToBody();
}
