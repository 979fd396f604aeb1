using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Distillation.Training;

/// <summary>
/// The projection head of DINO (Caron et al. 2021) as the random-teacher reference code configures it: an MLP with a GELU,
/// a linear bottleneck whose output is L2-normalised, and a bias-free linear layer to K outputs whose weight rows are
/// L2-normalised (weight normalisation with unit norm). Used by <see cref="RandomTeacherPhase"/> on both sides; never part
/// of the exported student.
/// </summary>
internal sealed class DinoHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear hidden;
    private readonly Linear bottleneck;
    private readonly Linear last;

    /// <summary>Creates the head (TorchSharp's default initialisation, from the process-wide generator).</summary>
    /// <param name="inputs">Width of the representation it reads.</param>
    /// <param name="hiddenWidth">Width of the MLP's hidden layer.</param>
    /// <param name="bottleneckWidth">Width of the L2-normalised bottleneck.</param>
    /// <param name="outputs">K, the output dimension.</param>
    public DinoHead(int inputs, int hiddenWidth, int bottleneckWidth, int outputs) : base("DinoHead")
    {
        hidden = nn.Linear(inputs, hiddenWidth);
        bottleneck = nn.Linear(hiddenWidth, bottleneckWidth);
        last = nn.Linear(bottleneckWidth, outputs, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var z = nn.functional.normalize(bottleneck.forward(nn.functional.gelu(hidden.forward(x))), 2, -1);
        return nn.functional.linear(z, nn.functional.normalize(last.weight!, 2, -1));
    }
}
