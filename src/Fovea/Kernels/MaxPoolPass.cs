namespace Fovea.Kernels;

/// <summary>
/// A max-pool over a batch of NHWC images of one geometry, split over the <see cref="WorkerPool"/> one image per part:
/// training's forward keeps the argmax that backward routes each gradient through; inference's keeps none, may write
/// into a later image of a larger output (a convolution's chunk), may apply GELU to each band of rows as it is
/// written, and on fewer images than two per thread splits each image into bands of output rows, so that a batch of
/// one is pooled by every thread (a maximum is the same whoever takes it).
/// </summary>
internal sealed unsafe class MaxPoolPass : IParallelWork
{
    private readonly int _h, _w, _c, _ph, _pw, _sh, _sw, _oh, _ow;
    private readonly int _padTop, _padLeft;   // an implicit border (inference only)
    private readonly bool _padded;
    private readonly float _fill;
    private enum Mode { Training, Inference, Backward }

    private Mode _mode;
    private float[] _dst = [];
    private float[] _src = [];
    private int[] _argmax = [];
    private int _outputFirst;
    private int _bands = 1;
    private bool _gelu;

    /// <summary>Images of <paramref name="height"/> × <paramref name="width"/> × <paramref name="channels"/>, pooled
    /// over <paramref name="pool"/> windows at <paramref name="strides"/>.</summary>
    public MaxPoolPass(int height, int width, int channels, (int Height, int Width) pool, (int Height, int Width) strides)
    {
        (_h, _w, _c, _ph, _pw, _sh, _sw) = (height, width, channels, pool.Height, pool.Width, strides.Height, strides.Width);
        _oh = (height - _ph) / _sh + 1;
        _ow = (width - _pw) / _sw + 1;
    }

    /// <summary>Inference's pool over images bordered by <paramref name="padding"/> rows and columns of
    /// <paramref name="fill"/> that are never stored (a ZeroPadding2D before the pool): the same values as padding
    /// first and pooling the padded images. <see cref="Infer"/> only.</summary>
    public MaxPoolPass(int height, int width, int channels, (int Height, int Width) pool, (int Height, int Width) strides,
                       (int Top, int Bottom, int Left, int Right) padding, float fill)
        : this(height + padding.Top + padding.Bottom, width + padding.Left + padding.Right, channels, pool, strides)
    {
        (_h, _w, _padTop, _padLeft, _fill) = (height, width, padding.Top, padding.Left, fill);
        _padded = true;
    }

    private int InputSize => _h * _w * _c;
    private int OutputSize => _oh * _ow * _c;

    /// <summary>output[B, oh, ow, c] = max over each window of input[B, h, w, c]; argmax[B, oh, ow, c] = where, within its image.</summary>
    public void Forward(float[] output, int[] argmax, float[] input, int batch)
    {
        NotPadded();
        (_mode, _dst, _src, _argmax) = (Mode.Training, output, input, argmax);
        Run(batch);
    }

    /// <summary>Pools <paramref name="images"/> images of <paramref name="input"/> into images
    /// <paramref name="outputFirst"/>… of <paramref name="output"/>, then GELU on them when <paramref name="gelu"/>.</summary>
    public void Infer(float[] output, int outputFirst, float[] input, int images, bool gelu = false)
    {
        (_mode, _dst, _src, _outputFirst, _gelu) = (Mode.Inference, output, input, outputFirst, gelu);
        _bands = images < 2 * Engine.Threads ? Math.Min(_oh, (2 * Engine.Threads + images - 1) / images) : 1;
        WorkerPool.Shared.Run(this, images * _bands);
        (_dst, _src) = ([], []);
    }

    /// <summary>
    /// <see cref="Infer"/> on the calling thread, touching no state of the pass: each thread of a parallel
    /// convolution → pool pools its own chunks with it (<see cref="PooledConvolution"/>).
    /// </summary>
    public void InferOnThisThread(float[] output, int outputFirst, ReadOnlySpan<float> input, int images, bool gelu)
    {
        int inSize = InputSize, outSize = OutputSize;
        for (int img = 0; img < images; img++)
        {
            var pooled = output.AsSpan((outputFirst + img) * outSize, outSize);
            var source = input.Slice(img * inSize, inSize);
            if (_padded) MaxPool.PoolImageMaxPadded(pooled, source, _h, _w, _c, _ph, _pw, _sh, _sw, _oh, _ow, _padTop, _padLeft, _fill, 0, _oh);
            else MaxPool.PoolImageMax(pooled, source, _w, _c, _ph, _pw, _sh, _sw, _oh, _ow, 0, _oh);
            if (gelu)
                fixed (float* p = pooled) Gelu.ForwardInPlace(p, outSize);
        }
    }

    /// <summary>Rows of output per image, the window's and the stride's height, and whether an implicit border is pooled.</summary>
    public (int OutHeight, int PoolHeight, int StrideHeight, bool Padded) Rows => (_oh, _ph, _sh, _padded);

    /// <summary>
    /// Output rows [<paramref name="y0"/>, <paramref name="y1"/>) of image <paramref name="image"/> of
    /// <paramref name="output"/> on the calling thread, from <paramref name="input"/>, which holds the input's rows
    /// from y0·stride on (a band of a convolution's output), then GELU on them when <paramref name="gelu"/>. Unpadded
    /// pools only; the same comparisons, so the same values, as <see cref="Infer"/>.
    /// </summary>
    public void InferRowsOnThisThread(float[] output, int image, ReadOnlySpan<float> input, int y0, int y1, bool gelu)
    {
        NotPadded();
        int rowFloats = _ow * _c;
        var pooled = output.AsSpan(image * OutputSize + y0 * rowFloats, (y1 - y0) * rowFloats);
        MaxPool.PoolImageMax(pooled, input, _w, _c, _ph, _pw, _sh, _sw, y1 - y0, _ow);
        if (gelu)
            fixed (float* p = pooled) Gelu.ForwardInPlace(p, pooled.Length);
    }

    /// <summary>dinput[B, h, w, c] from doutput[B, oh, ow, c] through the argmax of the forward pass.</summary>
    public void Backward(float[] inputGrad, float[] outputGrad, int[] argmax, int batch)
    {
        NotPadded();
        (_mode, _dst, _src, _argmax) = (Mode.Backward, inputGrad, outputGrad, argmax);
        Run(batch);
    }

    private void NotPadded()
    {
        if (_padded) throw new InvalidOperationException("a pool with an implicit border runs inference only");
    }

    private void Run(int batch)
    {
        _bands = 1;
        WorkerPool.Shared.Run(this, batch);
        (_dst, _src, _argmax) = ([], [], []);
    }

    public void Execute(int part)
    {
        int inSize = InputSize, outSize = OutputSize;
        if (_mode == Mode.Inference)
        {
            int img = part / _bands, band = part - img * _bands;
            int y0 = _oh * band / _bands, y1 = _oh * (band + 1) / _bands;
            var pooled = _dst.AsSpan((_outputFirst + img) * outSize, outSize);
            var source = _src.AsSpan(img * inSize, inSize);
            if (_padded) MaxPool.PoolImageMaxPadded(pooled, source, _h, _w, _c, _ph, _pw, _sh, _sw, _oh, _ow, _padTop, _padLeft, _fill, y0, y1);
            else MaxPool.PoolImageMax(pooled, source, _w, _c, _ph, _pw, _sh, _sw, _oh, _ow, y0, y1);
            if (_gelu)
            {
                int rowFloats = outSize / _oh;
                fixed (float* p = pooled) Gelu.ForwardInPlace(p + y0 * rowFloats, (y1 - y0) * rowFloats);
            }
            return;
        }
        int image = part;
        var argmax = _argmax.AsSpan(image * outSize, outSize);
        if (_mode == Mode.Training)
        {
            MaxPool.PoolImage(_dst.AsSpan(image * outSize, outSize), argmax, _src.AsSpan(image * inSize, inSize),
                _h, _w, _c, _ph, _pw, _sh, _sw, _oh, _ow);
            return;
        }
        var dIn = _dst.AsSpan(image * inSize, inSize);
        var dOut = _src.AsSpan(image * outSize, outSize);
        if (_sh >= _ph && _sw >= _pw)
        {
            MaxPool.UnpoolImage(dIn, dOut, argmax, _h, _w, _c, _ph, _pw, _sh, _sw, _oh, _ow);
            return;
        }
        // dinput[argmax] += doutput: windows may overlap when strides < pool size, hence += after clearing.
        dIn.Clear();
        for (int i = 0; i < outSize; i++) dIn[argmax[i]] += dOut[i];
    }
}
