import { app, BrowserWindow, dialog, ipcMain, shell } from 'electron';
import { runApp } from './app';

runApp({ app, BrowserWindow, ipcMain, shell, dialog });
