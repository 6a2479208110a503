// @ts-check
/**
 * The experiment targets of the `experiment` project (`npx nx run experiment:<name>`): one target
 * definition, made once per experiment of the table below, instead of a copy of it per experiment
 * in project.json. Nx loads this file as a local plugin (nx.json "plugins"); `npx nx show project
 * experiment` lists what it makes.
 *
 * Each target runs `losslab run experiments/<name>.ts` from the workspace root and is cached: its
 * inputs are the definition file (and the files it imports), the production sources of every
 * package, the shared globals and LOSSLAB_BACKEND; its output is reports/<name>. Run folders are
 * deliberately no output (see the README, "Caching and reruns").
 */

/** name → `parallel`: runs at once (`--parallel=N`, default 1); `imports`: other definition files it reads. */
const EXPERIMENTS = {
  'mnist-odd': {},
  blink: { parallel: 2 },
  'blink-long': { parallel: 2, imports: ['blink.ts'] },
  'blink-tuned': { parallel: 2, imports: ['blink.ts'] },
  'mnist-lt': { parallel: 2 },
  'mnist-cnn': { parallel: 2 },
};

/**
 * @param {string} name
 * @param {{ parallel?: number, imports?: string[] }} settings
 */
const experimentTarget = (name, { parallel = 1, imports = [] }) => ({
  executor: 'nx:run-commands',
  cache: true,
  inputs: [
    ...[`${name}.ts`, ...imports].map((file) => `{projectRoot}/${file}`),
    '^production',
    'sharedGlobals',
    { env: 'LOSSLAB_BACKEND' },
  ],
  outputs: [`{workspaceRoot}/reports/${name}`],
  metadata: { description: `Runs experiments/${name}.ts and writes reports/${name}` },
  options: {
    command: `losslab run experiments/${name}.ts${parallel > 1 ? ` --parallel=${parallel}` : ''}`,
    cwd: '{workspaceRoot}',
  },
});

/** @type {import('nx/src/project-graph/plugins').CreateNodesV2} */
const createNodesV2 = [
  'experiments/project.json',
  async (projectFiles) =>
    projectFiles.map((file) => [
      file,
      {
        projects: {
          [file.slice(0, -'/project.json'.length)]: {
            targets: Object.fromEntries(
              Object.entries(EXPERIMENTS).map(([name, settings]) => [name, experimentTarget(name, settings)]),
            ),
          },
        },
      },
    ]),
];

module.exports = { name: 'losslab-experiments', createNodesV2 };
