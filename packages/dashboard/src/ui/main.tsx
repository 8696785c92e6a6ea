import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, forgetToken, get, onUnauthorized, savedToken, saveToken } from './api.js';
import { ClusterView } from './cluster-view.js';
import { href, useRoute } from './hooks.js';
import { PodView } from './pod-view.js';
import { DeploymentView, JobView } from './workload-view.js';
import './style.css';

function Login({ onLogin, error }: { onLogin: () => void; error?: string }) {
  const [token, setToken] = useState('');
  const [problem, setProblem] = useState(error);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      // Any authenticated read proves the token; the namespace list is small.
      await get('/api/v1/namespaces?limit=1', undefined, token.trim());
      saveToken(token.trim());
      onLogin();
    } catch (err) {
      setProblem(err instanceof ApiError && err.code === 401 ? 'That token was not accepted.' : String((err as Error).message));
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <h1>Peapod</h1>
      <p>Paste the admin token from <code>&lt;data-dir&gt;/pki/admin.token</code>. It stays in this tab only.</p>
      <input name="token" type="password" autocomplete="off" placeholder="admin token" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
      {problem && <p class="error">{problem}</p>}
    </form>
  );
}

function App() {
  const [authed, setAuthed] = useState(savedToken() !== null);
  const route = useRoute();
  useEffect(() => onUnauthorized(() => { forgetToken(); setAuthed(false); }), []);
  if (!authed) return <Login onLogin={() => setAuthed(true)} />;
  const [view, ns, name] = route;
  return (
    <>
      <header>
        <a class="brand" href={href()}>Peapod</a>
        <nav>{view && <a href={href()}>cluster</a>}</nav>
        <button class="link" onClick={() => { forgetToken(); setAuthed(false); }}>sign out</button>
      </header>
      <main>
        {view === 'pods' && ns && name ? <PodView key={`${ns}/${name}`} namespace={ns} name={name} />
          : view === 'deployments' && ns && name ? <DeploymentView key={`${ns}/${name}`} namespace={ns} name={name} />
          : view === 'jobs' && ns && name ? <JobView key={`${ns}/${name}`} namespace={ns} name={name} />
          : <ClusterView />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
