import { parseId } from '../../http/ids.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { currentUser, requireUser } from '../../http/auth.ts';
import { renderOrgResourceList } from '../tenancy/org-list-page.ts';
import { forbidden, notFound } from '../../http/errors.ts';
import { fieldErrors, formBody, type FieldErrors, formText } from '../../http/forms.ts';
import { renderConfirmation } from '../../http/confirm.ts';
import { datesFor, renderPage, seeOther, setFlash } from '../../http/render.ts';
import { planOfOwner } from '../owners/owner.ts';
import { billingStandingOf } from '../owners/standing.ts';
import { pausedByUnpaid, type ResourceAccess } from '../resources/access.ts';
import { applicationFor } from './access.ts';
import type { ApplicationRow } from './queries.ts';
import { billingBar } from '../tenancy/chrome.ts';
import { allowedOwner, ownerChoices } from '../resources/owner-choices.ts';
import { ownerFromColumns } from '../owners/columns.ts';
import { createApplication } from './create-application.ts';
import { deleteApplication } from './delete-application.ts';
import { createAccessKey, revokeAccessKey } from './manage-access-keys.ts';
import { addDevice, deleteDevice, renameDevice } from './manage-devices.ts';
import { createWorkflow, deleteWorkflow, updateWorkflow } from './manage-workflows.ts';
import { listAccessKeys, listDevices, listWorkflows, pageApplicationsOf } from './queries.ts';
import { accessKeySchema, applicationSchema, deviceSchema, workflowSchema } from './schemas.ts';
import { transferApplication, transferTargets } from './transfer-application.ts';
import { updateApplication } from './update-application.ts';
import { assertNever } from '../../assert-never.ts';

type AppParams = { id: string };
type ChildParams = AppParams & { childId: string };

const childId = parseId;

interface AppPageExtras {
  errors?: FieldErrors;
  section?: string;
  values?: Record<string, string>;
  error?: string;
  newKey?: { keyId: string; secret: string; name: string };
}

/** R5.1: applications with their devices, workflows and access keys. */
export async function applicationRoutes(app: FastifyInstance): Promise<void> {
  const { db, clock } = app.deps;
  app.addHook('preHandler', requireUser);

  const canDelete = (access: ResourceAccess) => access.canDelete;

  async function ownerName(access: ResourceAccess) {
    return access.organization ? access.organization.name : 'Sandbox';
  }

  async function showApp(request: FastifyRequest, reply: FastifyReply, application: ApplicationRow, access: ResourceAccess, extras: AppPageExtras = {}, status = 200) {
    const bar = access.organization
      ? billingBar(access.organization, access.role, access.billingStatus, await billingStandingOf(db, app.deps.billingReads, access.organization.id, access.billingStatus, clock.now()))
      : null;
    if (access.billingStatus === 'unpaid') {
      // R9.8: members see why instead of the content; the data can still be exported.
      return renderPage(request, reply, 'pages/applications/unpaid.eta', { application, access, billingBar: bar, ownerName: await ownerName(access) }, { status: 200, title: `${application.name} · paused` });
    }
    const [devices, workflows, keys] = await Promise.all([listDevices(db, application.id), listWorkflows(db, application.id), listAccessKeys(db, application.id)]);
    return renderPage(
      request,
      reply,
      'pages/applications/show.eta',
      {
        application,
        access,
        billingBar: bar,
        ownerName: await ownerName(access),
        ownerHref: access.organization ? `/orgs/${access.organization.slug}` : '/sandbox',
        devices,
        workflows,
        keys,
        canDelete: canDelete(access),
        errors: extras.errors ?? {},
        section: extras.section,
        values: extras.values ?? {},
        error: extras.error,
        newKey: extras.newKey,
        apiUrl: `${app.deps.config.publicUrl}/api/applications/${application.id}/devices/`,
      },
      { status, title: `${application.name} · Orgplane` },
    );
  }

  async function showNew(request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FieldErrors, status = 200) {
    const choices = await ownerChoices(db, currentUser(request));
    return renderPage(request, reply, 'pages/applications/new.eta', { choices, values, errors }, { status, title: 'New application · Orgplane' });
  }

  // R3.2: every application of an organization the member may see (R2.6),
  // paged, behind the overview's "View all" link.
  app.get<{ Params: { slug: string }; Querystring: { page?: string } }>('/orgs/:slug/applications', (request, reply) =>
    renderOrgResourceList(request, reply, 'application', (owner, visible, window) => pageApplicationsOf(db, owner, visible, window)),
  );

  app.get<{ Querystring: { owner?: string } }>('/applications/new', async (request, reply) =>
    showNew(request, reply, { owner: formText(request.query.owner, 20) || 'sandbox', name: '', description: '' }, {}),
  );

  app.post('/applications', async (request, reply) => {
    const user = currentUser(request);
    const body = formBody(request.body);
    const values = { owner: formText(body.owner, 20) || 'sandbox', name: formText(body.name), description: formText(body.description) };
    const choice = await allowedOwner(db, user, values.owner);
    const parsed = applicationSchema.safeParse(values);
    const errors: FieldErrors = parsed.success ? {} : fieldErrors(parsed.error);
    if (!choice) errors.owner = 'Choose your Sandbox or an organization where you are an Editor or Administrator.';
    if (!parsed.success || !choice) return showNew(request, reply, values, errors, 422);
    const result = await createApplication(db, clock, { owner: choice.owner, name: parsed.data.name, description: parsed.data.description, userId: user.id });
    if (!result.ok) {
      switch (result.reason) {
        case 'limit':
          return showNew(request, reply, values, { _form: result.message }, 409);
        case 'owner_unpaid':
          return showNew(request, reply, values, { _form: `${choice.label}'s subscription is Unpaid, so no applications can be created there until an Administrator updates the payment method.` }, 409);
        default:
          return assertNever(result);
      }
    }
    setFlash(reply, 'success', `${parsed.data.name} is ready. Add a device and an access key to start sending data.`);
    return seeOther(reply, `/applications/${result.id}`);
  });

  app.get<{ Params: AppParams }>('/applications/:id', async (request, reply) => {
    const { application, access } = await applicationFor(request, request.params.id, 'resources.view');
    return showApp(request, reply, application, access);
  });

  /** Validates a form for an edit inside the application, re-rendering its page on error. */
  async function editForm<S extends z.ZodType>(request: FastifyRequest<{ Params: AppParams }>, reply: FastifyReply, schema: S, section: string) {
    const ctx = await applicationFor(request, request.params.id, 'resources.edit');
    const body = formBody(request.body);
    const values = Object.fromEntries(Object.entries(body).filter(([k]) => k !== '_csrf').map(([k, v]) => [k, formText(v)]));
    const parsed = schema.safeParse(values);
    if (!parsed.success) {
      await showApp(request, reply, ctx.application, ctx.access, { errors: fieldErrors(parsed.error), section, values }, 422);
      return null;
    }
    return { ...ctx, data: parsed.data as z.infer<S>, values };
  }

  app.post<{ Params: AppParams }>('/applications/:id', async (request, reply) => {
    const form = await editForm(request, reply, applicationSchema, 'settings');
    if (!form) return reply;
    await updateApplication(db, form.application.id, form.data);
    setFlash(reply, 'success', 'Application saved.');
    return seeOther(reply, `/applications/${form.application.id}`);
  });

  app.post<{ Params: AppParams }>('/applications/:id/devices', async (request, reply) => {
    const form = await editForm(request, reply, deviceSchema, 'devices');
    if (!form) return reply;
    const result = await addDevice(db, clock, { owner: form.access.owner, applicationId: form.application.id, name: form.data.name });
    if (!result.ok) return showApp(request, reply, form.application, form.access, { errors: { name: result.message }, section: 'devices', values: form.values }, 409);
    setFlash(reply, 'success', `Device ${form.data.name} added. Its id for the device API is ${result.id}.`);
    return seeOther(reply, `/applications/${form.application.id}#devices`);
  });

  app.post<{ Params: ChildParams }>('/applications/:id/devices/:childId', async (request, reply) => {
    const form = await editForm(request, reply, deviceSchema, 'devices');
    if (!form) return reply;
    const deviceId = childId(request.params.childId);
    if (deviceId === null || !(await renameDevice(db, form.application.id, deviceId, form.data.name))) throw notFound();
    setFlash(reply, 'success', 'Device renamed.');
    return seeOther(reply, `/applications/${form.application.id}#devices`);
  });

  // Deleting a device, a workflow or revoking a key is asked first on a page of its own (works without JavaScript).
  app.get<{ Params: ChildParams }>('/applications/:id/devices/:childId/delete', async (request, reply) => {
    const { application } = await applicationFor(request, request.params.id, 'resources.edit');
    const deviceId = childId(request.params.childId);
    const device = deviceId === null ? undefined : (await listDevices(db, application.id)).find((d) => d.id === deviceId);
    if (!device) throw notFound();
    return renderConfirmation(request, reply, {
      question: `Delete the device ${device.name}?`,
      consequences: [
        `${device.name} (id ${device.id}) is deleted from ${application.name} with all the data it sent. It cannot be undone; export the application's data first if you need it.`,
        'A device still sending to its id is refused from now on.',
      ],
      action: `/applications/${application.id}/devices/${device.id}/delete`,
      button: 'Delete device',
      cancelHref: `/applications/${application.id}#devices`,
    });
  });

  app.post<{ Params: ChildParams }>('/applications/:id/devices/:childId/delete', async (request, reply) => {
    const { application } = await applicationFor(request, request.params.id, 'resources.edit');
    const deviceId = childId(request.params.childId);
    if (deviceId === null || !(await deleteDevice(db, application.id, deviceId))) throw notFound();
    setFlash(reply, 'success', 'Device deleted, with its stored data.');
    return seeOther(reply, `/applications/${application.id}#devices`);
  });

  app.post<{ Params: AppParams }>('/applications/:id/workflows', async (request, reply) => {
    const form = await editForm(request, reply, workflowSchema, 'workflows');
    if (!form) return reply;
    await createWorkflow(db, clock, form.application.id, form.data);
    setFlash(reply, 'success', `Workflow ${form.data.name} created.`);
    return seeOther(reply, `/applications/${form.application.id}#workflows`);
  });

  app.get<{ Params: ChildParams }>('/applications/:id/workflows/:childId', async (request, reply) => {
    const { application, access } = await applicationFor(request, request.params.id, 'resources.edit');
    const workflowId = childId(request.params.childId);
    const workflow = workflowId === null ? undefined : (await listWorkflows(db, application.id)).find((w) => w.id === workflowId);
    if (!workflow) throw notFound();
    return renderPage(
      request,
      reply,
      'pages/applications/workflow.eta',
      { application, access, workflow, values: { name: workflow.name, description: workflow.description, enabled: workflow.enabled ? 'on' : '' }, errors: {} },
      { title: `${workflow.name} · ${application.name}` },
    );
  });

  app.post<{ Params: ChildParams }>('/applications/:id/workflows/:childId', async (request, reply) => {
    const { application, access } = await applicationFor(request, request.params.id, 'resources.edit');
    const workflowId = childId(request.params.childId);
    const workflow = workflowId === null ? undefined : (await listWorkflows(db, application.id)).find((w) => w.id === workflowId);
    if (!workflow) throw notFound();
    const body = formBody(request.body);
    const values = { name: formText(body.name), description: formText(body.description), enabled: formText(body.enabled, 5) };
    const parsed = workflowSchema.safeParse(values);
    if (!parsed.success) {
      return renderPage(request, reply, 'pages/applications/workflow.eta', { application, access, workflow, values, errors: fieldErrors(parsed.error) }, { status: 422, title: `${workflow.name} · ${application.name}` });
    }
    await updateWorkflow(db, clock, application.id, workflow.id, parsed.data);
    setFlash(reply, 'success', 'Workflow saved.');
    return seeOther(reply, `/applications/${application.id}#workflows`);
  });

  app.get<{ Params: ChildParams }>('/applications/:id/workflows/:childId/delete', async (request, reply) => {
    const { application } = await applicationFor(request, request.params.id, 'resources.edit');
    const workflowId = childId(request.params.childId);
    const workflow = workflowId === null ? undefined : (await listWorkflows(db, application.id)).find((w) => w.id === workflowId);
    if (!workflow) throw notFound();
    return renderConfirmation(request, reply, {
      question: `Delete the workflow ${workflow.name}?`,
      consequences: [`${workflow.name} is removed from ${application.name}. It cannot be undone.`],
      action: `/applications/${application.id}/workflows/${workflow.id}/delete`,
      button: 'Delete workflow',
      cancelHref: `/applications/${application.id}#workflows`,
    });
  });

  app.post<{ Params: ChildParams }>('/applications/:id/workflows/:childId/delete', async (request, reply) => {
    const { application } = await applicationFor(request, request.params.id, 'resources.edit');
    const workflowId = childId(request.params.childId);
    if (workflowId === null || !(await deleteWorkflow(db, application.id, workflowId))) throw notFound();
    setFlash(reply, 'success', 'Workflow deleted.');
    return seeOther(reply, `/applications/${application.id}#workflows`);
  });

  // The secret is shown on this one response and never again, so there is no redirect here.
  app.post<{ Params: AppParams }>('/applications/:id/keys', async (request, reply) => {
    const form = await editForm(request, reply, accessKeySchema, 'keys');
    if (!form) return reply;
    const key = await createAccessKey(db, clock, form.application.id, form.data.name);
    reply.header('Cache-Control', 'no-store');
    return showApp(request, reply, form.application, form.access, { newKey: { ...key, name: form.data.name }, section: 'keys' }, 201);
  });

  app.get<{ Params: ChildParams }>('/applications/:id/keys/:childId/revoke', async (request, reply) => {
    const { application } = await applicationFor(request, request.params.id, 'resources.edit');
    const keyId = childId(request.params.childId);
    const key = keyId === null ? undefined : (await listAccessKeys(db, application.id)).find((k) => k.id === keyId && !k.revokedAt);
    if (!key) throw notFound('That access key is not active any more.');
    return renderConfirmation(request, reply, {
      question: `Revoke the access key ${key.name}?`,
      consequences: [
        `Every device that authenticates with ${key.keyId} is refused from the moment you confirm${key.lastUsedAt ? `; it was last used ${datesFor(request).dateTime(key.lastUsedAt)}` : ''}. A revoked key cannot be restored: devices need a new key.`,
      ],
      action: `/applications/${application.id}/keys/${key.id}/revoke`,
      button: 'Revoke key',
      cancelHref: `/applications/${application.id}#keys`,
    });
  });

  app.post<{ Params: ChildParams }>('/applications/:id/keys/:childId/revoke', async (request, reply) => {
    const { application } = await applicationFor(request, request.params.id, 'resources.edit');
    const keyId = childId(request.params.childId);
    if (keyId === null || !(await revokeAccessKey(db, clock, application.id, keyId))) throw notFound();
    setFlash(reply, 'success', 'Access key revoked. Devices using it are refused from now on.');
    return seeOther(reply, `/applications/${application.id}#keys`);
  });

  app.get<{ Params: AppParams }>('/applications/:id/delete', async (request, reply) => {
    const { application, access } = await applicationFor(request, request.params.id, 'resources.edit');
    if (!canDelete(access)) throw forbiddenDelete();
    return renderPage(request, reply, 'pages/applications/delete.eta', { application }, { title: `Delete ${application.name}` });
  });

  app.post<{ Params: AppParams }>('/applications/:id/delete', async (request, reply) => {
    const { application, access } = await applicationFor(request, request.params.id, 'resources.edit');
    if (!canDelete(access)) throw forbiddenDelete();
    await deleteApplication(db, application.id);
    setFlash(reply, 'success', `${application.name} was deleted with its devices, workflows, keys and data.`);
    return seeOther(reply, access.organization ? `/orgs/${access.organization.slug}` : '/sandbox');
  });

  // R5.4: transfer to another owner.
  async function showTransfer(request: FastifyRequest, reply: FastifyReply, application: ApplicationRow, access: ResourceAccess, error?: string, status = 200) {
    const targets = await transferTargets(db, currentUser(request), access.owner);
    const plans = await Promise.all(targets.map((t) => planOfOwner(db, t.owner)));
    return renderPage(
      request,
      reply,
      'pages/applications/transfer.eta',
      { application, ownerName: await ownerName(access), targets: targets.map((t, i) => ({ ...t, planName: plans[i]!.name })), error },
      { status, title: `Transfer ${application.name}` },
    );
  }

  app.get<{ Params: AppParams }>('/applications/:id/transfer', async (request, reply) => {
    const { application, access } = await applicationFor(request, request.params.id, 'resources.view');
    if (!access.canAdminister) throw forbiddenTransfer();
    if (access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'applications');
    return showTransfer(request, reply, application, access);
  });

  app.post<{ Params: AppParams }>('/applications/:id/transfer', async (request, reply) => {
    const user = currentUser(request);
    const { application, access } = await applicationFor(request, request.params.id, 'resources.view');
    if (!access.canAdminister) throw forbiddenTransfer();
    if (access.billingStatus === 'unpaid') throw pausedByUnpaid(access.organization?.name, 'applications');
    const targets = await transferTargets(db, user, access.owner);
    const target = targets.find((t) => t.value === formBody(request.body).to);
    if (!target) return showTransfer(request, reply, application, access, 'Choose where to move the application.', 422);
    const result = await transferApplication(db, clock, { actor: user, applicationId: application.id, from: ownerFromColumns(application), to: target.owner, allowedTargets: targets });
    if (!result.ok) {
      switch (result.reason) {
        case 'limit':
          return showTransfer(request, reply, application, access, result.message, 409);
        case 'not_allowed':
          return showTransfer(request, reply, application, access, 'You cannot move the application there.', 403);
        case 'owner_unpaid':
          if (result.side === 'from') throw pausedByUnpaid(access.organization?.name, 'applications');
          return showTransfer(request, reply, application, access, `${target.label} is Unpaid and takes in no applications until it pays.`, 409);
        default:
          return assertNever(result);
      }
    }
    setFlash(reply, 'success', `${application.name} now belongs to ${target.label === 'Your Sandbox' ? 'your Sandbox' : target.label}, with its devices, workflows, keys and data.`);
    return seeOther(reply, `/applications/${application.id}`);
  });
}

const forbiddenDelete = () => forbidden('Deleting an application needs the Editor role or more.');
const forbiddenTransfer = () => forbidden('Only Administrators of the owning organization can transfer its applications.');
